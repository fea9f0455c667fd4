import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {projectionNames} from "../src/model/architecture.js";
import {projectionShape} from "../src/model/model-hparams.js";
import {AdamW} from "../src/train/adamw.js";
import {clipScale as clipScaleFor} from "../src/train/adamw-options.js";
import {CompiledGraph} from "../src/train/compiled-graph.js";
import {GgmlModel, NODES_PER_BLOCK} from "../src/train/ggml-model.js";
import {LoraTensors} from "../src/train/lora-tensors.js";
import {packSequences} from "../src/train/transformer-forward.js";
import {buildTrainingGraph, type TrainingGraphInput, type TrainingGraphOutput} from "../src/train/training-graph.js";
import {prepareTransposedWeights} from "../src/train/transposed-weights.js";
import {resolveTrainConfig} from "../src/train/train-config.js";
import {Rng} from "../src/util/rng.js";
import {tinyModel} from "./helpers/tiny-models.js";

let model: GgmlModel;
let lora: LoraTensors;
let graph: CompiledGraph<TrainingGraphInput, TrainingGraphOutput>;
let inputs: Partial<Record<TrainingGraphInput, ArrayBufferView>>;
beforeAll(async () => {
    model = await GgmlModel.load({modelPath: await tinyModel({arch: "llama", dim: 32, heads: 4, kvHeads: 2, layers: 2, ff: 64, vocab: "byte"}), device: "cpu", threads: 1});
    const transposed = await prepareTransposedWeights(model.ggml, model.backend, model.weights, 1);
    lora = LoraTensors.create(model.ggml, model.backend, {modules: projectionNames.map((target) => ({layer: 1, target, ...projectionShape(model.hparams, target)})), rank: 2, scale: 2, training: true});
    lora.initialize(new Rng(1));
    for (const m of lora.modules) model.ggml.write(m.b, Float32Array.from({length: model.ggml.elementCount(m.b)}, (_, i) => Math.sin(i) * 0.1));
    const rng = new Rng(2);
    const M = 4;
    inputs = {...packSequences([Array.from({length: 8}, () => rng.int(200))], 8), rows: Int32Array.of(3, 4, 5, 6), labels: Int32Array.of(5, 6, 7, 8), sftWeights: new Float32Array(M).fill(1 / M)};
    graph = CompiledGraph.build(model.ggml, model.backend, model.allocator, 64 + 2 * NODES_PER_BLOCK, (ctx) =>
        buildTrainingGraph(ctx, {h: model.hparams, weights: model.weights, transposed, lora, temperature: 2}, {B: 1, T: 8, M, K: 0, sft: true, distill: false, dropout: false, backward: true}));
});
afterAll(() => {
    graph?.dispose();
    lora?.dispose();
    model?.dispose();
});

const snapshot = (kind: "param" | "grad" | "m" | "v") => lora.tensors(kind).map((t) => model.ggml.readFloat32(t));
const restore = (kind: "param" | "m" | "v", values: Float32Array[]) => lora.tensors(kind).forEach((t, i) => model.ggml.write(t, values[i]!));

/** The training loop's beats after the backward: clip by global norm, step, zero the gradients. */
async function clipStepZero(optimizer: AdamW, lr: number, gradClip: number): Promise<{gradNorm: number, clipScale: number}> {
    const gradNorm = await optimizer.gradNorm();
    const clipScale = clipScaleFor(gradNorm, gradClip);
    await optimizer.step(lr, clipScale);
    lora.zeroGradients();
    return {gradNorm, clipScale};
}

describe("AdamW on ggml", () => {
    it("zeroes the gradients after each step, so two identical steps give the same update", async () => {
        const config = resolveTrainConfig({gradClip: 0.5});
        const optimizer = new AdamW(model.ggml, model.backend, model.backend.createAllocator(), lora, config);
        const [p0, m0, v0] = [snapshot("param"), snapshot("m"), snapshot("v")];
        const step = async () => {
            await graph.run(inputs);
            const grads = snapshot("grad");
            const result = await clipStepZero(optimizer, 1e-2, config.gradClip);
            const update = snapshot("param").map((p, i) => p.map((x, j) => x - p0[i]![j]!));
            return {grads, update, result};
        };
        const first = await step();
        expect(snapshot("grad").every((g) => g.every((x) => x === 0))).toBe(true);
        // Back to the same parameters and moments: the same batch must give the same gradient (not twice it) and the same update.
        restore("param", p0);
        restore("m", m0);
        restore("v", v0);
        optimizer.t = 0;
        const second = await step();
        expect(second.grads).toEqual(first.grads);
        expect(second.update).toEqual(first.update);
        expect(first.result.gradNorm).toBeGreaterThan(0);
        expect(first.update.some((u) => u.some((x) => x !== 0))).toBe(true);
        optimizer.dispose();
    });

    it("clips by global norm and applies decoupled weight decay as in the reference formula", async () => {
        const config = resolveTrainConfig({gradClip: 1e-3, weightDecay: 0.1, beta1: 0.9, beta2: 0.99, adamEps: 1e-8});
        const optimizer = new AdamW(model.ggml, model.backend, model.backend.createAllocator(), lora, config);
        const params = snapshot("param"), m = snapshot("m"), v = snapshot("v");
        await graph.run(inputs);
        const grads = snapshot("grad");
        const t = optimizer.t + 1, lr = 3e-3;
        const {gradNorm, clipScale} = await clipStepZero(optimizer, lr, config.gradClip);
        const norm = Math.sqrt(grads.reduce((s, g) => s + g.reduce((a, x) => a + x * x, 0), 0));
        expect(gradNorm).toBeCloseTo(norm, 4);
        expect(clipScale).toBeCloseTo(1e-3 / norm, 6);
        // Reference AdamW step in double precision, element by element.
        let maxErr = 0;
        snapshot("param").forEach((p, i) => p.forEach((x, j) => {
            const g = grads[i]![j]! * clipScale;
            const mi = 0.9 * m[i]![j]! + 0.1 * g, vi = 0.99 * v[i]![j]! + 0.01 * g * g;
            const expected = params[i]![j]! * (1 - lr * 0.1) - (lr * (mi / (1 - 0.9 ** t))) / (Math.sqrt(vi / (1 - 0.99 ** t)) + 1e-8);
            maxErr = Math.max(maxErr, Math.abs(x - expected));
        }));
        expect(maxErr).toBeLessThan(1e-6);
        optimizer.dispose();
    });
});
