import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {describe, expect, it} from "vitest";
import {GgufFile} from "./gguf-file.js";
import {readModelHparams} from "./model-hparams.js";
import {makeTinyModel, resolveTinyModelConfig} from "./tiny-model.js";
import {modelFingerprint} from "./model-fingerprint.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "prism-tiny-"));

describe("tiny-model", () => {
    it("writes the same bytes for the same options and different weights for another seed", async () => {
        const [a, b, c] = ["a", "b", "c"].map((n) => path.join(tmp, `${n}.gguf`));
        await makeTinyModel(a!, {seed: 5});
        await makeTinyModel(b!, {seed: 5});
        await makeTinyModel(c!, {seed: 6});
        expect(fs.readFileSync(a!).equals(fs.readFileSync(b!))).toBe(true);
        expect(fs.readFileSync(a!).equals(fs.readFileSync(c!))).toBe(false);
        const fa = await GgufFile.open(a!), fc = await GgufFile.open(c!);
        expect(modelFingerprint(a!, fa.dataOffset)).not.toBe(modelFingerprint(c!, fc.dataOffset));
    });

    it("records the requested shape with grouped-query attention and qwen2 biases", async () => {
        const file = path.join(tmp, "q.gguf");
        await makeTinyModel(file, {arch: "qwen2", layers: 3, dim: 96, heads: 6, kvHeads: 2, ff: 128, dtype: "f16"});
        const f = await GgufFile.open(file);
        const h = readModelHparams(f);
        expect([h.nLayer, h.nEmbd, h.nHead, h.nHeadKv, h.headDim, h.nFf]).toEqual([3, 96, 6, 2, 16, 128]);
        expect(f.requireTensor("blk.2.attn_k.weight").shape).toEqual([96, 32]);
        expect(f.requireTensor("blk.0.attn_q.bias").shape).toEqual([96]);
        expect(f.get("tokenizer.chat_template")).toContain("<|im_start|>");
        expect(f.get<string[]>("tokenizer.ggml.merges")!.length).toBeGreaterThan(100);
    });

    it("rejects impossible shapes with the flag's name", () => {
        expect(() => resolveTinyModelConfig({dim: 65})).toThrow(/--dim 65 must be a multiple of --heads 4/);
        expect(() => resolveTinyModelConfig({heads: 4, kvHeads: 3})).toThrow(/--kv-heads/);
        expect(() => resolveTinyModelConfig({dtype: "q8_0", dim: 48, heads: 4})).toThrow(/multiples of 32/);
        expect(() => resolveTinyModelConfig({layers: 0})).toThrow(/--layers/);
    });
});
