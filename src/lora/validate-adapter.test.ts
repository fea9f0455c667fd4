import {beforeAll, describe, expect, it} from "vitest";
import {tinyLora, tinyModel} from "../../test/helpers/tiny-models.js";
import {readAdapterBase, type AdapterBase} from "./adapter-base.js";
import {readGgufLora} from "./gguf-lora.js";
import type {LoraWeights} from "./lora-weights.js";
import {validateAdapter} from "./validate-adapter.js";

let lora: LoraWeights, base: AdapterBase;
beforeAll(async () => {
    const t = await tinyLora({arch: "llama", layers: 2, dim: 64, heads: 4, kvHeads: 2}, {rank: 4});
    lora = await readGgufLora(t.adapter);
    base = await readAdapterBase(t.model);
});

describe("validateAdapter", () => {
    it("accepts the adapter made for the model", () => {
        expect(validateAdapter(lora, base)).toEqual({warnings: []});
    });

    it("names the first tensor that does not fit", async () => {
        expect(() => validateAdapter({...lora, arch: "qwen2"}, base, {adapterPath: "a.gguf"})).toThrow(/a\.gguf: adapter architecture qwen2 does not match the base model's \(llama/);
        const deeper = await readAdapterBase(await tinyModel({arch: "llama", layers: 1, dim: 64, heads: 4, kvHeads: 2}));
        expect(() => validateAdapter(lora, {...deeper, fingerprint: lora.baseModelFingerprint!})).toThrow(/blk\.1\.attn_q\.weight\.lora_a\/lora_b: block 1 does not exist in the base model \(1 blocks\)/);
        const mha = await readAdapterBase(await tinyModel({arch: "llama", layers: 2, dim: 64, heads: 4, kvHeads: 4}));
        expect(() => validateAdapter(lora, mha)).toThrow(/blk\.0\.attn_k\.weight\.lora_a\/lora_b: the adapter maps 64 → 32 but the base model's attn_k maps 64 → 64/);
        const bad = {...lora, modules: lora.modules.map((m, i) => (i === 3 ? {...m, b: m.b.subarray(0, m.outDim * 2)} : m))};
        expect(() => validateAdapter(bad, base)).toThrow(/blk\.0\.attn_output.*does not match the adapter's rank 4/);
    });

    it("refuses another base model's fingerprint unless told to warn", async () => {
        const other = await readAdapterBase(await tinyModel({arch: "llama", layers: 2, dim: 64, heads: 4, kvHeads: 2, seed: 2}));
        expect(() => validateAdapter(lora, other)).toThrow(/records base model sha256:\w+, but .* is sha256:/);
        const {warnings} = validateAdapter(lora, other, {fingerprint: "warn"});
        expect(warnings).toHaveLength(1);
        expect(validateAdapter({...lora, baseModelFingerprint: undefined}, other)).toEqual({warnings: []});
    });
});
