import fs from "node:fs";
import path from "node:path";
import {getLlama, type Llama} from "node-llama-cpp";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {loadAdapter} from "../src/lora/adapter-file.js";
import {mergeLora} from "../src/lora/merge-lora.js";
import {GgufFile} from "../src/model/gguf-file.js";
import {GgmlType} from "../src/model/ggml-type.js";
import {Rng} from "../src/util/rng.js";
import {prismErrorOf} from "./helpers/expect-prism-error.js";
import {llamaCppLogProbRows} from "./helpers/logits.js";
import {runCli} from "./helpers/run-cli.js";
import {tempDir, tinyLora, tinyModel} from "./helpers/tiny-models.js";

let llama: Llama;
const tmp = tempDir("merge-lora");
beforeAll(async () => {
    llama = await getLlama({gpu: false, build: "never", maxThreads: 1});
});
afterAll(async () => {
    await llama.dispose();
});

const maxAbsDiff = (x: readonly Float32Array[], y: readonly Float32Array[]) => {
    let m = 0;
    x.forEach((row, i) => row.forEach((v, j) => { m = Math.max(m, Math.abs(v - y[i]![j]!)); }));
    return m;
};

describe("mergeLora", () => {
    // llama: q/k rows are permuted between PEFT and GGUF, so a wrong row order shows; qwen2: q/k/v biases stay as they are.
    for (const arch of ["llama", "qwen2"] as const)
        it(`${arch}: llama.cpp on the merged F32 model gives the log-probabilities it gives the base model with the adapter applied`, async () => {
            const shape = {arch, dtype: "f32", dim: 64, heads: 4, kvHeads: 2, layers: 2} as const;
            const {model, adapter} = await tinyLora(shape, {rank: 4, alpha: 6, seed: 3});
            const merged = path.join(tmp, `${arch}-merged.gguf`);
            const {lora} = await loadAdapter(adapter);
            const result = await mergeLora(model, lora, merged);
            expect(result.mergedTensors).toBe(2 * 7);
            expect(result.scale).toBe(6 / 4);
            const rng = new Rng(5);
            const tokens = Array.from({length: 16}, () => rng.int(500));
            const applied = await llamaCppLogProbRows(llama, model, tokens, {lora: adapter});
            const base = await llamaCppLogProbRows(llama, model, tokens);
            const folded = await llamaCppLogProbRows(llama, merged, tokens);
            const err = maxAbsDiff(folded, applied), moved = maxAbsDiff(base, applied);
            console.log(`${arch}: merged vs applied adapter, max |Δ log p| ${err.toExponential(2)} (the adapter moves them by ${moved.toExponential(2)})`);
            expect(moved).toBeGreaterThan(0.1);
            expect(err).toBeLessThan(1e-4);
            // Everything but the adapted projections is copied byte for byte, metadata included.
            const [b, m] = await Promise.all([GgufFile.open(model), GgufFile.open(merged)]);
            expect(m.metadata).toEqual(b.metadata);
            for (const t of b.tensors) {
                const same = Buffer.from(m.readTensorBytes(t.name)).equals(Buffer.from(b.readTensorBytes(t)));
                expect(same, t.name).toBe(!/attn_(q|k|v|output)\.weight$|ffn_(gate|up|down)\.weight$/.test(t.name));
            }
        });

    it("a zero-B adapter leaves every weight unchanged; --dtype re-encodes only the merged projections", async () => {
        const shape = {arch: "llama", dtype: "f32", dim: 64, heads: 4, kvHeads: 2, layers: 2} as const;
        const {model, adapter} = await tinyLora(shape, {rank: 4, seed: 3});
        const {lora} = await loadAdapter(adapter);
        const zero = {...lora, modules: lora.modules.map((m) => ({...m, b: new Float32Array(m.b.length)}))};
        const out = path.join(tmp, "zero.gguf");
        await mergeLora(model, zero, out);
        const [b, m] = await Promise.all([GgufFile.open(model), GgufFile.open(out)]);
        for (const t of b.tensors) expect(Buffer.from(m.readTensorBytes(t.name)).equals(Buffer.from(b.readTensorBytes(t))), t.name).toBe(true);
        const q8 = path.join(tmp, "zero-q8.gguf");
        await mergeLora(model, zero, q8, {dtype: "q8_0"});
        const q = await GgufFile.open(q8);
        expect(q.requireTensor("blk.1.ffn_down.weight").type).toBe(GgmlType.Q8_0);
        expect(q.requireTensor("token_embd.weight").type).toBe(b.requireTensor("token_embd.weight").type);
    });

    it("refuses an adapter made for another model, naming both", async () => {
        const {adapter} = await tinyLora({arch: "llama", dtype: "f32", dim: 64, heads: 4, kvHeads: 2, layers: 2}, {rank: 4, seed: 3});
        const other = await tinyModel({arch: "llama", dtype: "f32", dim: 32, heads: 2, kvHeads: 1, layers: 2});
        const {lora} = await loadAdapter(adapter);
        const wrongShape = await prismErrorOf(() => mergeLora(other, lora, path.join(tmp, "x.gguf")));
        expect(wrongShape.kind).toBe("input");
        expect(wrongShape.message).toMatch(/maps 64 → 64 but the base model's attn_q maps 32 → 32/);
        // Same shapes, other weights: the recorded fingerprint refuses it.
        const sibling = await tinyModel({arch: "llama", dtype: "f32", dim: 64, heads: 4, kvHeads: 2, layers: 2, seed: 9});
        const wrongWeights = await prismErrorOf(() => mergeLora(sibling, lora, path.join(tmp, "y.gguf")));
        expect(wrongWeights.kind).toBe("input");
        expect(wrongWeights.message).toMatch(/records base model sha256:/);
    });

    it("prism merge writes the file mergeLora writes; --help lists its options; another model's adapter exits 3", async () => {
        const shape = {arch: "llama", dtype: "f32", dim: 64, heads: 4, kvHeads: 2, layers: 2} as const;
        const {model, adapter} = await tinyLora(shape, {rank: 4, alpha: 6, seed: 3});
        const lib = path.join(tmp, "lib.gguf"), cli = path.join(tmp, "cli.gguf");
        await mergeLora(model, (await loadAdapter(adapter)).lora, lib, {dtype: "f16"});
        const r = await runCli(["merge", "--model", model, "--adapter", adapter, "--out", cli, "--dtype", "f16", "--json"]);
        expect(r.stderr).toBe("");
        expect(r.code).toBe(0);
        expect(JSON.parse(r.stdout)).toMatchObject({out: cli, mergedTensors: 14, scale: 1.5, warnings: []});
        expect(fs.readFileSync(cli).equals(fs.readFileSync(lib))).toBe(true);
        const help = await runCli(["merge", "--help"]);
        expect(help.code).toBe(0);
        for (const flag of ["--model", "--adapter", "--out", "--dtype", "--scale", "--allow-other-base"]) expect(help.stdout).toContain(flag);
        const other = await tinyModel({arch: "llama", dtype: "f32", dim: 32, heads: 2, kvHeads: 1, layers: 2});
        const bad = await runCli(["merge", "--model", other, "--adapter", adapter, "--out", path.join(tmp, "bad.gguf")]);
        expect(bad.code).toBe(3);
        expect(bad.stderr).toMatch(/maps 64 → 64 but the base model's attn_q maps 32 → 32/);
        expect(fs.existsSync(path.join(tmp, "bad.gguf"))).toBe(false);
    });
});
