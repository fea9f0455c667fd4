import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {projectionNames} from "../src/model/architecture.js";
import {Rng} from "../src/util/rng.js";
import {CompiledGraph} from "../src/train/compiled-graph.js";
import {GgmlModel, NODES_PER_BLOCK} from "../src/train/ggml-model.js";
import {LoraTensors} from "../src/train/lora-tensors.js";
import {projectionShape} from "../src/model/model-hparams.js";
import {packSequences} from "../src/train/transformer-forward.js";
import {DropoutPool} from "../src/train/dropout-pool.js";
import {buildTrainingGraph, dropoutInputName, type TrainingGraphInput} from "../src/train/training-graph.js";
import {prepareTransposedWeights, type TransposedWeights} from "../src/train/transposed-weights.js";
import {tinyModel} from "./helpers/tiny-models.js";

// Gradient check: the LoRA gradients of our hand-written backward against finite differences of the loss,
// on a tiny F32 model with grouped-query attention, padded sequences, and both objectives (SFT + distillation).
// Metric per tensor: ‖g_fd − g‖ / ‖g_fd‖ over the sampled entries; must be < 1e-2.

let model: GgmlModel;
let transposed: TransposedWeights;
let lora: LoraTensors;
beforeAll(async () => {
    const modelPath = await tinyModel({arch: "qwen2", dtype: "f32", dim: 32, heads: 4, kvHeads: 2, layers: 2, ff: 64, vocab: "byte"});
    model = await GgmlModel.load({modelPath, device: "cpu", threads: 1});
    transposed = await prepareTransposedWeights(model.ggml, model.backend, model.weights, 0);
    const modules = [0, 1].flatMap((layer) => projectionNames.map((target) => ({layer, target, ...projectionShape(model.hparams, target)})));
    lora = LoraTensors.create(model.ggml, model.backend, {modules, rank: 3, scale: 2, training: true});
    const rng = new Rng(7);
    for (const m of lora.modules) for (const t of [m.a, m.b]) model.ggml.write(t, Float32Array.from({length: model.ggml.elementCount(t)}, () => rng.normal() * 0.3));
});
afterAll(() => {
    lora?.dispose();
    model?.dispose();
});

describe("LoRA backward", () => {
    for (const dropout of [false, true])
    it(`agrees with finite differences (relative error < 1e-2 per tensor)${dropout ? ", through fixed dropout masks" : ""}`, async () => {
        const h = model.hparams, V = h.nVocab, K = 5;
        const rng = new Rng(3);
        const sequences = [Array.from({length: 9}, () => rng.int(V)), Array.from({length: 6}, () => rng.int(V))];
        const T = 9, B = 2;
        const rowsList = [2, 5, 8, T + 1, T + 4]; // positions in the padded batch (sequence 1 starts at T)
        const M = rowsList.length;
        const teacherTokens = new Int32Array(K * M), teacherProbs = new Float32Array(K * M);
        for (let m = 0; m < M; m++) {
            const picked = rng.shuffle(Array.from({length: V}, (_, i) => i)).slice(0, K);
            const raw = picked.map(() => rng.next() + 0.1), total = raw.reduce((a, b) => a + b, 0);
            picked.forEach((tok, k) => {
                teacherTokens[m * K + k] = tok;
                teacherProbs[m * K + k] = raw[k]! / total;
            });
        }
        const inputs: Partial<Record<TrainingGraphInput, ArrayBufferView>> = {
            ...packSequences(sequences, T),
            rows: Int32Array.from(rowsList),
            labels: Int32Array.from({length: M}, () => rng.int(V)),
            sftWeights: new Float32Array(M).fill(0.5 / M),
            teacherTokens, teacherProbs,
            distillWeights: new Float32Array(M).fill(0.5 / M)
        };
        // With dropout the masks are fixed rows of the pool (the index inputs stay the same for every evaluation).
        using pool = dropout ? DropoutPool.create(model.ggml, model.backend, {widths: lora.modules.map((m) => m.inDim), probability: 0.3, scale: 2, rows: 64, rng: new Rng(5)}) : undefined;
        for (const m of lora.modules) if (pool) inputs[dropoutInputName(m.layer, m.target)] = pool.sampleRows(B * T, rng);
        const graph = CompiledGraph.build(model.ggml, model.backend, model.backend.createAllocator(), 64 + 2 * NODES_PER_BLOCK, (ctx) =>
            buildTrainingGraph(ctx, {h, weights: model.weights, transposed, lora, dropout: pool, temperature: 2}, {B, T, M, sft: true, distill: true, K, dropout, backward: true}));
        const loss = async () => {
            await graph.run(inputs);
            return graph.read("sftLoss")[0]! + graph.read("distillLossQ")[0]!;
        };
        lora.zeroGradients();
        await loss();
        // Read every gradient before the finite differences: each run of the graph accumulates into them again.
        const analyticOf = new Map(lora.tensors("grad").map((g) => [g, model.ggml.readFloat32(g)]));
        // Five-point central differences: truncation error O(h⁴), so the step can be large enough for F32 round-off not to matter.
        const step = 1e-2;
        const errors: string[] = [];
        let worst = 0;
        for (const m of lora.modules) {
            for (const [name, param, grad] of [["A", m.a, m.gradA!], ["B", m.b, m.gradB!]] as const) {
                const analytic = analyticOf.get(grad)!;
                const values = model.ggml.readFloat32(param);
                // The entries with the largest gradients (where F32 round-off in the loss matters least) and two at random.
                const largest = Array.from(analytic.keys()).sort((x, y) => Math.abs(analytic[y]!) - Math.abs(analytic[x]!)).slice(0, 3);
                const picks = [...largest, rng.int(values.length), rng.int(values.length)];
                let num = 0, den = 0;
                for (const i of picks) {
                    const at = (v: number) => model.ggml.write(param, Float32Array.of(v), i * 4);
                    const f = async (delta: number) => {
                        at(values[i]! + delta);
                        return loss();
                    };
                    const fd = (8 * ((await f(step)) - (await f(-step))) - ((await f(2 * step)) - (await f(-2 * step)))) / (12 * step);
                    at(values[i]!);
                    num += (fd - analytic[i]!) ** 2;
                    den += fd ** 2;
                }
                const rel = Math.sqrt(num / den);
                worst = Math.max(worst, rel);
                if (!(rel < 1e-2)) errors.push(`blk.${m.layer}.${m.target}.${name}: ${rel.toExponential(2)}`);
                expect(den).toBeGreaterThan(0);
            }
        }
        graph.dispose();
        console.log(`largest relative error over ${lora.modules.length * 2} tensors: ${worst.toExponential(2)}`);
        expect(errors).toEqual([]);
    });
});
