import {describe, expect, it} from "vitest";
import {CompiledGraph} from "../src/train/compiled-graph.js";
import {GgmlModel} from "../src/train/ggml-model.js";
import {GgmlType} from "../src/model/ggml-type.js";
import {expertTargets, moeForward, moeRoutedBackward, sharedGateBackward, type ExpertLoraGrads, type MoeLora} from "../src/train/moe-ffn.js";
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

    // LoRA on the routed experts (gate_exps, up_exps, down_exps at once, rank 2, scale 2): L = Σ r ⊙ routed(h) in
    // every expert's A and B and in h. Same metric and bound; the per-expert gradients come from masked out_prods.
    it("expert LoRA (top-2 of 4): the gradients in each expert's A and B, and in h, agree with finite differences", async () => {
        const modelPath = await standInModel({arch: "qwen2moe", layers: 2, dim: 32, heads: 4, kvHeads: 2, ff: 64, vocab: "llama-spm", moe: {experts: 4, used: 2, ff: 32, sharedFf: 48}, seed: 43});
        using model = await GgmlModel.load({modelPath, device: "cpu", threads: 1});
        const tw = await prepareTransposedWeights(model.ggml, model.backend, model.weights, 0);
        try {
            const C = model.hparams.nEmbd, N = 18, R = 2;
            const w = model.weights.blocks[1]!.moe!, moe = model.hparams.moe!, E = moe.nExpert, F = moe.nFfExp;
            const dims = {gate: [C, F], up: [C, F], down: [F, C]} as const;
            using graph = CompiledGraph.build(model.ggml, model.backend, model.backend.createAllocator(), 2048, (ctx) => {
                const h = ctx.newTensor(GgmlType.F32, [C, N], "h"), r = ctx.newTensor(GgmlType.F32, [C, N], "r");
                const inputs: Record<string, ReturnType<typeof ctx.newTensor>> = {h, r};
                const lora: MoeLora = {};
                for (const t of expertTargets) {
                    const [cin, cout] = dims[t];
                    inputs[`a.${t}`] = ctx.newTensor(GgmlType.F32, [cin, R, E], `a.${t}`);
                    inputs[`b.${t}`] = ctx.newTensor(GgmlType.F32, [R, cout, E], `b.${t}`);
                    lora[t] = {a: inputs[`a.${t}`]!, b: inputs[`b.${t}`]!, scale: 2, training: true};
                }
                const f = moeForward(ctx, w, moe, h, lora);
                const grads: ExpertLoraGrads = {};
                const outputs: Record<string, ReturnType<typeof ctx.newTensor>> = {
                    loss: ctx.sum(ctx.mul(f.routed, r)),
                    dh: moeRoutedBackward(ctx, w, moe, f.saved, r, {arange: tw.arange, eye: tw.eye!, transposeSlice: 1000}, lora, grads)
                };
                for (const t of expertTargets)
                    for (let e = 0; e < E; e++) {
                        outputs[`dA.${t}.${e}`] = grads[t]!.dA[e]!;
                        outputs[`dB.${t}.${e}`] = grads[t]!.dB[e]!;
                    }
                return {inputs, outputs};
            });
            const rng = new Rng(7);
            const values: Record<string, Float32Array> = {
                h: Float32Array.from({length: C * N}, () => rng.normal()), r: Float32Array.from({length: C * N}, () => rng.normal())
            };
            for (const t of expertTargets) {
                const [cin, cout] = dims[t];
                values[`a.${t}`] = Float32Array.from({length: cin * R * E}, () => 0.3 * rng.normal());
                values[`b.${t}`] = Float32Array.from({length: R * cout * E}, () => 0.3 * rng.normal());
            }
            await graph.run(values);
            // Each expert's slice in the flat layout of the 3-D tensor: expert e starts at e · (its size).
            const analytic: Record<string, Float32Array> = {dh: graph.read("dh").slice()};
            for (const t of expertTargets)
                for (const ab of ["A", "B"]) {
                    const parts = Array.from({length: E}, (_, e) => graph.read(`d${ab}.${t}.${e}`).slice());
                    analytic[`${ab.toLowerCase()}.${t}`] = Float32Array.from(parts.flatMap((p) => Array.from(p)));
                }
            const loss = async (name: string, i: number, delta: number) => {
                const moved = values[name]!.slice();
                moved[i]! += delta;
                await graph.run({...values, [name]: moved});
                return graph.read("loss")[0]!;
            };
            const step = 1e-2;
            for (const name of ["h", ...expertTargets.flatMap((t) => [`a.${t}`, `b.${t}`])]) {
                const grad = analytic[name === "h" ? "dh" : name]!;
                expect(grad.length).toBe(values[name]!.length);
                let worst = 0, largest = 0;
                for (let j = 0; j < 10; j++) {
                    const i = rng.int(grad.length);
                    const fd = (8 * ((await loss(name, i, step)) - (await loss(name, i, -step))) - ((await loss(name, i, 2 * step)) - (await loss(name, i, -2 * step)))) / (12 * step);
                    worst = Math.max(worst, Math.abs(fd - grad[i]!));
                    largest = Math.max(largest, Math.abs(fd));
                }
                console.log(`qwen2moe expert LoRA, d${name}: max |fd − analytic| ${(worst / largest).toExponential(2)} of the largest |fd| ${largest.toFixed(3)}`);
                expect(largest).toBeGreaterThan(1e-3);
                expect(worst / largest).toBeLessThan(1e-3);
            }
        } finally {
            tw.buffer.dispose();
            tw.ctx.dispose();
        }
    }, 300_000);
});
