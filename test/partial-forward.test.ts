import {describe, expect, it} from "vitest";
import {GateFeatureDefinition} from "../src/gate/gate-features.js";
import {GgufFile} from "../src/model/gguf-file.js";
import {decodeTensor} from "../src/model/quantize.js";
import {GgmlModel} from "../src/train/ggml-model.js";
import {PartialForward} from "../src/forward/partial-forward.js";
import {Rng} from "../src/util/rng.js";
import {tinyModel} from "./helpers/tiny-models.js";

describe("partial forward", () => {
    it("returns the last token's state after the first blocks, batched or not", async () => {
        const modelPath = await tinyModel({arch: "qwen2", dim: 64, heads: 4, kvHeads: 2, layers: 3});
        using pf = await PartialForward.load({modelPath, layers: 3, device: "cpu", threads: 1});
        const rng = new Rng(4);
        const prompts = [9, 4, 13].map((n) => Array.from({length: n}, () => rng.int(500)));
        const batched = await pf.hiddenStates(prompts, {layers: 1});
        // Padding changes only the shapes of the matrix products (and so their summation order), not the result.
        for (const [i, p] of prompts.entries()) {
            const single = await pf.hiddenState(p, {layers: 1});
            expect(single.reduce((m, v, c) => Math.max(m, Math.abs(v - batched[i]![c]!)), 0)).toBeLessThan(1e-5);
        }
        expect(batched[0]!.length).toBe(64);
        expect(pf.feature(1)).toEqual({layer: 1, position: "last-prompt-token", width: 64});
        expect(GateFeatureDefinition.parse(pf.feature(1))).toEqual(pf.feature(1));
        const deeper = await pf.hiddenState(prompts[0]!, {layers: 2});
        expect(deeper.some((v, i) => Math.abs(v - batched[0]![i]!) > 1e-3)).toBe(true);
        await expect(pf.hiddenState(prompts[0]!, {layers: 4})).rejects.toThrow(/between 1 and 3/);
    });

    it("reuses its compiled graphs: a prompt gives the same state after twenty other shapes have come and gone", async () => {
        const modelPath = await tinyModel({arch: "llama", dim: 64, heads: 4, kvHeads: 2, layers: 2});
        using pf = await PartialForward.load({modelPath, layers: 2, device: "cpu", threads: 1});
        const rng = new Rng(7);
        const prompt = Array.from({length: 11}, () => rng.int(500));
        const first = await pf.hiddenState(prompt);
        // More shapes (batch size × padded length × layers) than the graph cache keeps, so the first one is evicted.
        for (let n = 1; n <= 20; n++) await pf.hiddenStates([Array.from({length: 8 * n}, () => rng.int(500)), prompt], {layers: 1 + (n % 2)});
        expect(await pf.hiddenState(prompt)).toEqual(first);
        // Within one padded length, a different prompt gets its own state, not the previous one's.
        const other = [...prompt.slice(0, 10), (prompt[10]! + 1) % 500];
        expect(await pf.hiddenState(other)).not.toEqual(first);
        expect(await pf.hiddenState(prompt)).toEqual(first);
    });

    it("keeps no graph or buffer for a prompt longer than it caches, and the long prompt's state matches its batched one", async () => {
        const modelPath = await tinyModel({arch: "llama", dim: 64, heads: 4, kvHeads: 2, layers: 2});
        using pf = await PartialForward.load({modelPath, layers: 1, device: "cpu", threads: 1});
        const rng = new Rng(3);
        const short = Array.from({length: 20}, () => rng.int(500));
        const long = Array.from({length: PartialForward.maxCachedTokens + 100}, () => rng.int(500));
        await pf.hiddenState(short);
        const kept = pf.retainedBufferBytes;
        expect(kept).toBeGreaterThan(0);
        const alone = await pf.hiddenState(long);
        // The long graph had an allocator of its own, freed with it: the shared buffer did not grow to fit it.
        expect(pf.retainedBufferBytes).toBe(kept);
        const [, batched] = await pf.hiddenStates([short, long]);
        expect(alone.reduce((m, v, c) => Math.max(m, Math.abs(v - batched![c]!)), 0)).toBeLessThan(1e-5);
        expect(pf.retainedBufferBytes).toBe(kept);
    });

    it("after every block, it is the state the full forward turns into its logits", async () => {
        const modelPath = await tinyModel({arch: "llama", dim: 64, heads: 4, kvHeads: 2, layers: 2});
        const tokens = [5, 17, 3, 99, 42, 7];
        using pf = await PartialForward.load({modelPath, layers: 2, device: "cpu", threads: 1});
        using full = await GgmlModel.load({modelPath, device: "cpu", threads: 1});
        expect(pf.modelFingerprint).toBe(full.fingerprint);
        const state = await pf.hiddenState(tokens);
        const [logits] = await full.logits([tokens], {positions: [[tokens.length - 1]]});
        // Plain TypeScript: final RMS norm and output projection of the state.
        const file = await GgufFile.open(modelPath);
        const read = (name: string) => { const t = file.requireTensor(name); return decodeTensor(file.readTensorBytes(t), t.type, t.shape.reduce((a, b) => a * b, 1)); };
        const norm = read("output_norm.weight"), out = read("output.weight");
        const C = 64, V = logits!.length;
        const rms = Math.sqrt(state.reduce((s, x) => s + x * x, 0) / C + 1e-5);
        const normed = Array.from(state, (x, c) => (x / rms) * norm[c]!);
        let maxDiff = 0, scale = 0;
        for (let v = 0; v < V; v++) {
            let z = 0;
            for (let c = 0; c < C; c++) z += out[v * C + c]! * normed[c]!;
            maxDiff = Math.max(maxDiff, Math.abs(z - logits![v]!));
            scale = Math.max(scale, Math.abs(logits![v]!));
        }
        expect(maxDiff / scale).toBeLessThan(1e-5);
    });
});
