import {describe, expect, it} from "vitest";
import {CompiledGraph} from "../src/train/compiled-graph.js";
import {GgmlModel} from "../src/train/ggml-model.js";
import {GgmlType} from "../src/model/ggml-type.js";
import {moeForward, moeRoutedBackward, sharedGateBackward} from "../src/train/moe-ffn.js";
import {prepareTransposedWeights} from "../src/train/transposed-weights.js";
import {Rng} from "../src/util/rng.js";
import {standInModel} from "./helpers/llama-cpp/stand-in-models.js";

// The hand-written backward of qwen2moe's FFN, piece by piece, against five-point finite differences of
// L = Σ r ⊙ f(h) in the input h (C, N): the routed experts with their softmax router (top-2 of 4, and all 4), and the
// shared expert's sigmoid gate. Weights of a stand-in written by llama.cpp's gguf-py. Metric: max |fd − analytic|
// over the checked entries, relative to the largest |fd|; must be < 1e-3 (measured ~1e-5).
describe("qwen2moe FFN backward", () => {
    for (const used of [2, 4])
        for (const part of ["routed experts and router", "shared expert gate"] as const)
            it(`${part} (top-${used} of 4): agrees with finite differences`, async () => {
                const modelPath = await standInModel({arch: "qwen2moe", layers: 2, dim: 32, heads: 4, kvHeads: 2, ff: 64, vocab: "llama-spm", moe: {experts: 4, used, ff: 32, sharedFf: 48}, seed: 43});
                using model = await GgmlModel.load({modelPath, device: "cpu", threads: 1});
                const tw = await prepareTransposedWeights(model.ggml, model.backend, model.weights, 0);
                try {
                    const C = model.hparams.nEmbd, N = 18;
                    const w = model.weights.blocks[1]!.moe!, moe = model.hparams.moe!;
                    using graph = CompiledGraph.build(model.ggml, model.backend, model.backend.createAllocator(), 512, (ctx) => {
                        const h = ctx.newTensor(GgmlType.F32, [C, N], "h"), r = ctx.newTensor(GgmlType.F32, [C, N], "r"), m = ctx.newTensor(GgmlType.F32, [C, N], "m");
                        const f = moeForward(ctx, w, moe, h);
                        // The shared expert's MLP output m is an input here: its own backward is the dense MLP's.
                        const loss = part === "shared expert gate" ? ctx.sum(ctx.mul(ctx.mul(m, f.sig), r)) : ctx.add(ctx.sum(ctx.mul(f.routed, r)), ctx.scale(ctx.sum(m), 0));
                        const dh = part === "shared expert gate" ? sharedGateBackward(ctx, w, f.saved, r, m).dh
                            : moeRoutedBackward(ctx, w, moe, f.saved, r, {arange: tw.arange, eye: tw.eye!, transposeSlice: 1000});
                        return {inputs: {h, r, m}, outputs: {loss, dh}};
                    });
                    const rng = new Rng(used);
                    const h = Float32Array.from({length: C * N}, () => rng.normal());
                    const r = Float32Array.from({length: C * N}, () => rng.normal());
                    const m = Float32Array.from({length: C * N}, () => rng.normal());
                    await graph.run({h, r, m});
                    const analytic = graph.read("dh").slice();
                    const loss = async (i: number, delta: number) => {
                        const moved = h.slice();
                        moved[i]! += delta;
                        await graph.run({h: moved, r, m});
                        return graph.read("loss")[0]!;
                    };
                    const step = 1e-2;
                    let worst = 0, largest = 0;
                    for (let j = 0; j < 16; j++) {
                        const i = rng.int(C * N);
                        const fd = (8 * ((await loss(i, step)) - (await loss(i, -step))) - ((await loss(i, 2 * step)) - (await loss(i, -2 * step)))) / (12 * step);
                        worst = Math.max(worst, Math.abs(fd - analytic[i]!));
                        largest = Math.max(largest, Math.abs(fd));
                    }
                    console.log(`qwen2moe ${part}, top-${used}: max |fd − analytic| ${(worst / largest).toExponential(2)} of the largest |fd| ${largest.toFixed(3)}`);
                    expect(largest).toBeGreaterThan(1e-3);
                    expect(worst / largest).toBeLessThan(1e-3);
                } finally {
                    tw.buffer.dispose();
                    tw.ctx.dispose();
                }
            }, 120_000);
});
