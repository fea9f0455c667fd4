import {expect} from "vitest";
import type {GgmlDeviceChoice} from "../../src/ggml/ggml-backend.js";
import {expertProjectionNames, projectionNames} from "../../src/model/architecture.js";
import {Rng} from "../../src/util/rng.js";
import {CompiledGraph} from "../../src/train/compiled-graph.js";
import {GgmlModel, NODES_PER_BLOCK} from "../../src/train/ggml-model.js";
import {LoraTensors} from "../../src/train/lora-tensors.js";
import {projectionShape} from "../../src/model/model-hparams.js";
import {packSequences} from "../../src/train/transformer-forward.js";
import {DropoutPool} from "../../src/train/dropout-pool.js";
import {buildTrainingGraph, dropoutInputName, trainingGraphNodes, type TrainingGraphInput} from "../../src/train/training-graph.js";
import {prepareTransposedWeights, type TransposedWeights} from "../../src/train/transposed-weights.js";
import {denseWeights} from "./dense-weights.js";

// Gradient check: the LoRA gradients of our hand-written backward against finite differences of the loss, with
// grouped-query attention, padded sequences, and both objectives (SFT + distillation), through the memory-saving
// paths: each Wᵀ made in the graph in slices (of 1,000 weights here, 65,536 for the 152k-token K-quant model, so
// every projection takes several), activations
// recomputed from each block's input (checkpointing), and the output head and losses in chunks of 2 positions. Metric per tensor:
// ‖g_fd − g‖ / ‖g_fd‖ over the sampled entries; must be < 1e-2 for F32.
// F16, Q8_0 and a K-quant (Q4_K_M, quantised by llama.cpp): the finite differences are taken on the same weights
// dequantised to F32, since the quantised forward rounds each product's activations to the weights' dot-product
// type (F16, Q8_0, Q8_K) and that noise swamps a difference quotient. The tolerances cover that rounding in the
// graph whose gradients are checked (measured: F16 3e-3, Q8_0 5e-2, Q4_K_M 0.08–0.17 from Q8_K activations); a missing
// or wrong term gives errors of order 1. For every type, the reference path (precomputed Wᵀ copies, every activation
// kept, one head chunk) must give the same gradients.

/** fdLayers: the blocks whose adapter tensors get finite differences (each difference runs the whole model four times). */
export type GradientVariant = {label: string, load: () => Promise<string>, tolerance: number, fdLayers?: number[], dropout?: boolean, transposeSlice?: number};
/**
 * The LoRA gradients of one model variant on `device`: through the memory-saving paths against the reference path
 * (precomputed Wᵀ, every activation kept, one head chunk) and against five-point finite differences of the loss.
 * Every native resource it makes is disposed before it returns.
 */
export async function checkLoraGradients(variant: GradientVariant, options: {dropout: boolean, device: GgmlDeviceChoice}): Promise<void> {
    const {dropout, device} = options;
    const disposers: (() => void)[] = [];
    try {
        const {model, lora, onTheFly, precomputed} = await setUp(await variant.load(), device, disposers);
        const h = model.hparams, V = h.nVocab, K = 5;
        const rng = new Rng(3);
        const tokenRange = Math.min(V, 256);
        const sequences = [Array.from({length: 9}, () => rng.int(tokenRange)), Array.from({length: 6}, () => rng.int(tokenRange))];
        const T = 9, B = 2;
        const rowsList = [2, 5, 8, T + 1, T + 4]; // positions in the padded batch (sequence 1 starts at T)
        const M = rowsList.length;
        const teacherTokens = new Int32Array(K * M), teacherProbs = new Float32Array(K * M);
        for (let m = 0; m < M; m++) {
            const picked = rng.shuffle(Array.from({length: tokenRange}, (_, i) => i)).slice(0, K);
            const raw = picked.map(() => rng.next() + 0.1), total = raw.reduce((a, b) => a + b, 0);
            picked.forEach((tok, k) => {
                teacherTokens[m * K + k] = tok;
                teacherProbs[m * K + k] = raw[k]! / total;
            });
        }
        const inputs: Partial<Record<TrainingGraphInput, ArrayBufferView>> = {
            ...packSequences(sequences, T),
            rows: Int32Array.from(rowsList),
            labels: Int32Array.from({length: M}, () => rng.int(tokenRange)),
            sftWeights: new Float32Array(M).fill(0.5 / M),
            teacherTokens, teacherProbs,
            distillWeights: new Float32Array(M).fill(0.5 / M)
        };
        // With dropout the masks are fixed rows of the pool (the index inputs stay the same for every evaluation).
        using pool = dropout ? DropoutPool.create(model.ggml, model.backend, {widths: lora.modules.map((m) => m.inDim), probability: 0.3, scale: 2, rows: 64, rng: new Rng(5)}) : undefined;
        for (const m of lora.modules) if (pool) inputs[dropoutInputName(m.layer, m.target)] = pool.sampleRows(B * T, rng);
        const transposeSlice = variant.transposeSlice ?? 1000;
        const build = (transposed: TransposedWeights, checkpointActivations: boolean, headChunk: number) =>
            CompiledGraph.build(model.ggml, model.backend, model.backend.createAllocator(), trainingGraphNodes(h, model.weights, M, {headChunk, transposeSlice}), (ctx) =>
                buildTrainingGraph(ctx, {h, weights: model.weights, transposed, lora, dropout: pool, temperature: 2, checkpointActivations, headChunk, transposeSlice},
                    {B, T, M, sft: true, distill: true, K, dropout, backward: true}));
        const gradients = async (graph: CompiledGraph<TrainingGraphInput, "sftLoss" | "distillLossQ">) => {
            lora.zeroGradients();
            await graph.run(inputs);
            // Read every gradient now: each run of the graph accumulates into them again.
            return new Map(lora.tensors("grad").map((g) => [g, model.ggml.readFloat32(g)]));
        };
        using graph = build(onTheFly, true, 2);
        using reference = build(precomputed, false, M);
        const expected = await gradients(reference);
        const analyticOf = await gradients(graph);
        let referenceDiff = 0;
        for (const [g, values] of analyticOf) {
            const ref = expected.get(g)!;
            const scale = Math.max(...ref.map(Math.abs));
            referenceDiff = Math.max(referenceDiff, ...values.map((v, i) => Math.abs(v - ref[i]!) / scale));
        }
        console.log(`${variant.label}: largest difference from the reference path ${referenceDiff.toExponential(2)} (relative to each tensor's largest entry)`);
        expect(referenceDiff).toBeLessThan(1e-4);

        // The loss as a function of the adapter, on the weights in F32 (the dequantised ones for a quantised model).
        const dense = variant.label.endsWith("F32") ? undefined : await denseWeights(model);
        using fdGraph = dense ? CompiledGraph.build(model.ggml, model.backend, model.backend.createAllocator(), 256 + 2 * NODES_PER_BLOCK, (ctx) =>
            buildTrainingGraph(ctx, {h, weights: dense, lora, dropout: pool, temperature: 2}, {B, T, M, sft: true, distill: true, K, dropout, backward: false})) : undefined;
        const lossGraph = fdGraph ?? graph;
        const loss = async () => {
            await lossGraph.run(inputs);
            return lossGraph.read("sftLoss")[0]! + lossGraph.read("distillLossQ")[0]!;
        };
        // Five-point central differences: truncation error O(h⁴), so the step can be large enough for F32 round-off not to matter.
        const step = 1e-2;
        const errors: string[] = [];
        let worst = 0;
        for (const m of lora.modules.filter((x) => !variant.fdLayers || variant.fdLayers.includes(x.layer))) {
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
                if (!(rel < variant.tolerance)) errors.push(`blk.${m.layer}.${m.target}.${name}: ${rel.toExponential(2)}`);
                expect(den).toBeGreaterThan(0);
            }
        }
        console.log(`${variant.label}: largest relative error over ${variant.fdLayers ? `the ${variant.fdLayers.length} block(s) checked` : `${lora.modules.length * 2} tensors`}: ${worst.toExponential(2)}`);
        dense?.ctx.dispose();
        expect(errors).toEqual([]);
    } finally {
        for (const d of disposers.reverse()) d();
    }
}


async function setUp(modelPath: string, device: GgmlDeviceChoice, disposers: (() => void)[]) {
    const model = await GgmlModel.load({modelPath, device, threads: 1});
    disposers.push(() => model.dispose());
    const onTheFly = await prepareTransposedWeights(model.ggml, model.backend, model.weights, 0);
    const precomputed = await prepareTransposedWeights(model.ggml, model.backend, model.weights, 0, {precompute: true});
    disposers.push(() => onTheFly.ctx.dispose(), () => precomputed.ctx.dispose());
    // A mixture of experts also gets LoRA on its routed expert tensors (3-D pairs, accumulated per expert).
    const targets = [...projectionNames, ...(model.hparams.moe ? expertProjectionNames : [])];
    const modules = [0, 1].flatMap((layer) => targets.map((target) => ({layer, target, ...projectionShape(model.hparams, target)})));
    const lora = LoraTensors.create(model.ggml, model.backend, {modules, rank: 3, scale: 2, training: true});
    disposers.push(() => lora.dispose());
    const rng = new Rng(7);
    for (const m of lora.modules) for (const t of [m.a, m.b]) model.ggml.write(t, Float32Array.from({length: model.ggml.elementCount(t)}, () => rng.normal() * 0.3));
    return {model, lora, onTheFly, precomputed};
}

