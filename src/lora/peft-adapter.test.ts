import fs from "node:fs";
import path from "node:path";
import {beforeAll, describe, expect, it} from "vitest";
import {tempDir, tinyLora, tinyModel} from "../../test/helpers/tiny-models.js";
import {permuteQkRows} from "../model/qk-permutation.js";
import {PrismError} from "../util/prism-error.js";
import {readAdapterBase, type AdapterBase} from "./adapter-base.js";
import {readGgufLora, writeGgufLora} from "./gguf-lora.js";
import type {LoraWeights} from "./lora-weights.js";
import {PEFT_CONFIG_FILE, PEFT_WEIGHTS_FILE, readPeftAdapter, writePeftAdapter} from "./peft-adapter.js";
import {peftTensorName} from "./peft-tensor-name.js";
import {readSafetensors, writeSafetensors} from "./safetensors.js";

const tmp = tempDir("peft-adapter");
const shape = {layers: 2, dim: 64, heads: 4, kvHeads: 2};
const fixtures: Record<"llama" | "qwen2", {adapterPath: string, lora: LoraWeights, base: AdapterBase}> = {} as never;

beforeAll(async () => {
    for (const arch of ["llama", "qwen2"] as const) {
        const {model, adapter} = await tinyLora({arch, ...shape}, {rank: 4});
        fixtures[arch] = {adapterPath: adapter, lora: await readGgufLora(adapter), base: await readAdapterBase(model)};
    }
});

const bytesOf = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
const readJson = (file: string) => JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>;

async function expectError(promise: Promise<unknown>, kind: string, pattern: RegExp): Promise<PrismError> {
    const err = await promise.then(() => undefined, (e: unknown) => e);
    expect(PrismError.isInstance(err), `expected a PrismError, got ${String(err)}`).toBe(true);
    expect((err as PrismError).kind).toBe(kind);
    expect((err as PrismError).message).toMatch(pattern);
    return err as PrismError;
}

describe("PEFT adapter export", () => {
    it("writes adapter_config.json and adapter_model.safetensors as PEFT does", async () => {
        const {lora, base} = fixtures.llama;
        const dir = path.join(tmp, "export");
        await writePeftAdapter(dir, lora, {base, baseModelName: "prism/tiny-llama"});
        expect(fs.readdirSync(dir).sort()).toEqual([PEFT_CONFIG_FILE, PEFT_WEIGHTS_FILE]);
        expect(readJson(path.join(dir, PEFT_CONFIG_FILE))).toMatchObject({
            peft_type: "LORA", task_type: "CAUSAL_LM", r: 4, lora_alpha: 8, lora_dropout: 0, bias: "none", use_rslora: false, use_dora: false,
            fan_in_fan_out: false, inference_mode: true, modules_to_save: null, layers_to_transform: null, base_model_name_or_path: "prism/tiny-llama",
            target_modules: ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
        });
        const {tensors, metadata} = readSafetensors(path.join(dir, PEFT_WEIGHTS_FILE));
        expect(tensors.size).toBe(2 * 7 * 2);
        expect(metadata.format).toBe("pt");
        expect(tensors.get("base_model.model.model.layers.1.self_attn.q_proj.lora_A.weight")!.shape).toEqual([4, 64]);
        expect(tensors.get("base_model.model.model.layers.1.self_attn.k_proj.lora_B.weight")!.shape).toEqual([32, 4]);
        expect(tensors.get("base_model.model.model.layers.0.mlp.down_proj.lora_A.weight")!.shape).toEqual([4, 160]);
        expect(tensors.get("base_model.model.model.layers.0.mlp.down_proj.lora_B.weight")!.shape).toEqual([64, 4]);
    });

    it("lists layers_to_transform and target_modules when the adapter covers only some", async () => {
        const {lora, base} = fixtures.qwen2;
        const dir = path.join(tmp, "partial");
        await writePeftAdapter(dir, {...lora, modules: lora.modules.filter((m) => m.layer === 1 && (m.target === "v" || m.target === "up"))}, {base});
        expect(readJson(path.join(dir, PEFT_CONFIG_FILE))).toMatchObject({layers_to_transform: [1], target_modules: ["v_proj", "up_proj"]});
    });

    it("moves lora_B rows of llama's q and k into HF's rotate-half order, and nothing else", async () => {
        for (const arch of ["llama", "qwen2"] as const) {
            const {lora, base} = fixtures[arch];
            const dir = path.join(tmp, `perm-${arch}`);
            await writePeftAdapter(dir, lora, {base, dtype: "F32"});
            const {tensors} = readSafetensors(path.join(dir, PEFT_WEIGHTS_FILE));
            for (const m of lora.modules) {
                const heads = m.target === "q" ? 4 : 2;
                const permuted = arch === "llama" && (m.target === "q" || m.target === "k");
                const expectedB = permuted ? permuteQkRows(m.b, heads, 4, "hf") : m.b;
                if (permuted) expect(bytesOf(expectedB).equals(bytesOf(m.b))).toBe(false);
                expect(bytesOf(tensors.get(peftTensorName(m.layer, m.target, "B"))!.data).equals(bytesOf(expectedB))).toBe(true);
                expect(bytesOf(tensors.get(peftTensorName(m.layer, m.target, "A"))!.data).equals(bytesOf(m.a))).toBe(true);
            }
        }
    });
});

describe("PEFT adapter round trips", () => {
    it("export then import is bit-exact in F32, with or without the base model", async () => {
        for (const arch of ["llama", "qwen2"] as const) {
            const {lora, base} = fixtures[arch];
            const dir = path.join(tmp, `rt-${arch}`);
            await writePeftAdapter(dir, lora, {base, dtype: "F32"});
            for (const back of [(await readPeftAdapter(dir, {base})).lora, (await readPeftAdapter(dir)).lora]) {
                expect({arch: back.arch, rank: back.rank, alpha: back.alpha, fp: back.baseModelFingerprint}).toEqual({arch, rank: 4, alpha: lora.alpha, fp: lora.baseModelFingerprint});
                expect(back.modules.map((m) => `${m.layer}.${m.target} ${m.inDim}→${m.outDim}`)).toEqual(lora.modules.map((m) => `${m.layer}.${m.target} ${m.inDim}→${m.outDim}`));
                back.modules.forEach((m, i) => {
                    expect(bytesOf(m.a).equals(bytesOf(lora.modules[i]!.a))).toBe(true);
                    expect(bytesOf(m.b).equals(bytesOf(lora.modules[i]!.b))).toBe(true);
                });
            }
        }
    });

    it("GGUF → PEFT → GGUF reproduces the GGUF file byte for byte", async () => {
        const {adapterPath, base} = fixtures.llama;
        const dir = path.join(tmp, "gguf-peft-gguf");
        await writePeftAdapter(dir, await readGgufLora(adapterPath), {base, dtype: "F32"});
        const out = path.join(tmp, "again.gguf");
        await writeGgufLora(out, (await readPeftAdapter(dir)).lora, {name: "prism-tiny-lora", type: "f32"});
        expect(fs.readFileSync(out).equals(fs.readFileSync(adapterPath))).toBe(true);
    });

    it("keeps rsLoRA's alpha in PEFT and stores the effective alpha (alpha·√r) for llama.cpp", async () => {
        const {lora, base} = fixtures.qwen2;
        const rs = {...lora, alpha: 8 * Math.sqrt(4)};  // rsLoRA alpha 8, rank 4: scale 8/√4 = 4 = 16/4
        const dir = path.join(tmp, "rslora");
        await writePeftAdapter(dir, rs, {base, config: {rank: 4, alpha: 8, dropout: 0.05, useRslora: true}});
        expect(readJson(path.join(dir, PEFT_CONFIG_FILE))).toMatchObject({r: 4, lora_alpha: 8, use_rslora: true, lora_dropout: 0.05});
        const back = await readPeftAdapter(dir);
        expect(back.lora.alpha).toBe(16);
        expect(back.config).toMatchObject({rank: 4, alpha: 8, useRslora: true, dropout: 0.05, layers: "all"});
        await expectError(writePeftAdapter(dir, lora, {config: {rank: 4, alpha: 8, dropout: 0, useRslora: true}}), "usage", /does not give the adapter's scale/);
    });

    it("writes F16 by default and on request", async () => {
        const {lora, base} = fixtures.qwen2;
        const dir = path.join(tmp, "f16");
        await writePeftAdapter(dir, lora, {base, dtype: "F16"});
        const {tensors} = readSafetensors(path.join(dir, PEFT_WEIGHTS_FILE));
        expect([...tensors.values()].every((t) => t.dtype === "F16")).toBe(true);
        const byDefault = path.join(tmp, "f16-default");
        await writePeftAdapter(byDefault, lora, {base});
        expect([...readSafetensors(path.join(byDefault, PEFT_WEIGHTS_FILE)).tensors.values()].every((t) => t.dtype === "F16")).toBe(true);
        const back = (await readPeftAdapter(dir)).lora;
        const m = back.modules[0]!, orig = lora.modules[0]!;
        m.a.forEach((v, i) => expect(Math.abs(v - orig.a[i]!)).toBeLessThanOrEqual(Math.abs(orig.a[i]!) * 2 ** -11 + 1e-7));
    });
});

describe("PEFT adapter import errors", () => {
    /** A copy of a good export with one thing changed. */
    async function broken(name: string, change: (dir: string) => void | Promise<void>): Promise<string> {
        const dir = path.join(tmp, `bad-${name}`);
        await writePeftAdapter(dir, fixtures.llama.lora, {base: fixtures.llama.base});
        await change(dir);
        return dir;
    }
    const editConfig = (dir: string, edit: (c: Record<string, unknown>) => void) => {
        const c = readJson(path.join(dir, PEFT_CONFIG_FILE));
        edit(c);
        fs.writeFileSync(path.join(dir, PEFT_CONFIG_FILE), JSON.stringify(c));
    };
    const editTensors = async (dir: string, edit: (t: Map<string, {shape: number[], data: Float32Array}>) => void, metadata?: Record<string, string>) => {
        const file = path.join(dir, PEFT_WEIGHTS_FILE);
        const read = readSafetensors(file);
        edit(read.tensors);
        await writeSafetensors(file, read.tensors, {metadata: metadata ?? read.metadata});
    };

    it("names the missing directory or file", async () => {
        await expectError(readPeftAdapter(path.join(tmp, "nowhere")), "input", /PEFT adapter directory not found: .*nowhere/);
        const noWeights = await broken("no-weights", (d) => fs.rmSync(path.join(d, PEFT_WEIGHTS_FILE)));
        await expectError(readPeftAdapter(noWeights), "input", /adapter_model\.safetensors/);
        fs.writeFileSync(path.join(noWeights, "adapter_model.bin"), "pickle");
        const err = await expectError(readPeftAdapter(noWeights), "input", /not found/);
        expect(err.hint).toMatch(/safe_serialization=True/);
        const noConfig = await broken("no-config", (d) => fs.rmSync(path.join(d, PEFT_CONFIG_FILE)));
        await expectError(readPeftAdapter(noConfig), "input", /adapter_config\.json/);
        await expectError(readPeftAdapter(fixtures.llama.adapterPath), "input", /is a file, not a PEFT adapter directory/);
    });

    it("names the config field it cannot accept", async () => {
        const cases: [string, (c: Record<string, unknown>) => void, RegExp][] = [
            ["json", () => undefined, /not valid JSON/],
            ["type", (c) => (c.peft_type = "IA3"), /field peft_type: prism reads LoRA adapters only/],
            ["dora", (c) => (c.use_dora = true), /field use_dora: DoRA adapters are not supported/],
            ["bias", (c) => (c.bias = "all"), /field bias: trained biases/],
            ["alpha", (c) => (c.lora_alpha = 0), /field lora_alpha: must be positive/],
            ["save", (c) => (c.modules_to_save = ["lm_head"]), /field modules_to_save/],
            ["pattern", (c) => (c.rank_pattern = {q_proj: 8}), /field rank_pattern: per-module ranks/],
            ["module", (c) => (c.target_modules = ["q_proj", "embed_tokens"]), /field target_modules: embed_tokens is not a projection/]
        ];
        for (const [name, edit, pattern] of cases) {
            const dir = await broken(`config-${name}`, (d) => name === "json" ? fs.writeFileSync(path.join(d, PEFT_CONFIG_FILE), "{\"r\": 4,") : editConfig(d, edit));
            await expectError(readPeftAdapter(dir), "input", pattern);
        }
    });

    it("names the tensor that does not fit", async () => {
        const q = peftTensorName(1, "q", "A"), qB = peftTensorName(1, "q", "B");
        const unknown = await broken("unknown", (d) => editTensors(d, (t) => t.set("base_model.model.model.embed_tokens.lora_embedding_A", {shape: [4, 10], data: new Float32Array(40)})));
        await expectError(readPeftAdapter(unknown), "input", /unexpected tensor base_model\.model\.model\.embed_tokens\.lora_embedding_A/);
        const missing = await broken("missing", (d) => editTensors(d, (t) => t.delete(qB)));
        await expectError(readPeftAdapter(missing), "input", /layers\.1\.self_attn\.q_proj\.lora_B\.weight is missing/);
        const rank = await broken("rank", (d) => editTensors(d, (t) => t.set(q, {shape: [2, 128], data: t.get(q)!.data})));
        await expectError(readPeftAdapter(rank), "input", /rank mismatch: .*layers\.1\.self_attn\.q_proj\.lora_A\.weight has rank 2 but adapter_config\.json says r = 4/);
        const notListed = await broken("not-listed", (d) => editConfig(d, (c) => (c.target_modules = ["q_proj", "v_proj"])));
        await expectError(readPeftAdapter(notListed), "input", /adapts k_proj, which adapter_config\.json's target_modules does not list/);
        const layer = await broken("layer", (d) => editConfig(d, (c) => (c.layers_to_transform = [1])));
        await expectError(readPeftAdapter(layer), "input", /is in layer 0, which adapter_config\.json's layers_to_transform does not list/);
    });

    it("asks for the base model when a foreign llama adapter does not say its architecture or head counts", async () => {
        const foreign = await broken("foreign", (d) => editTensors(d, () => undefined, {format: "pt"}));
        await expectError(readPeftAdapter(foreign), "usage", /does not say which architecture.*--model/);
        const lora = await readPeftAdapter(foreign, {base: fixtures.llama.base});
        expect(lora.lora.arch).toBe("llama");
        const noHeads = await broken("no-heads", (d) => editTensors(d, () => undefined, {format: "pt", "prism.arch": "llama"}));
        await expectError(readPeftAdapter(noHeads), "usage", /head counts are unknown; pass the base model/);
        const narrow = await readAdapterBase(await tinyModel({arch: "llama", layers: 2, dim: 32, heads: 4, kvHeads: 2}));
        await expectError(readPeftAdapter(foreign, {base: narrow}), "input", /blk\.0\.attn_q\.weight\.lora_a\/lora_b: the adapter maps 64 → 64 but the base model's attn_q maps 32 → 32/);
    });
});
