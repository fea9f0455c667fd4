import fs from "node:fs";
import path from "node:path";
import {beforeAll, describe, expect, it} from "vitest";
import {readGgufLora} from "../src/lora/gguf-lora.js";
import {runCli} from "./helpers/run-cli.js";
import {tempDir, tinyLora, tinyModel} from "./helpers/tiny-models.js";

// `prism adapter convert` and `prism info` on PEFT directories, through the built CLI.
const tmp = tempDir("adapter-cli");
const shape = {layers: 2, dim: 64, heads: 4, kvHeads: 2};
let model: string, adapter: string;
beforeAll(async () => {
    ({model, adapter} = await tinyLora({arch: "llama", ...shape}, {rank: 4}));
});

describe("prism adapter convert", () => {
    it("converts GGUF → PEFT → GGUF with the same tensors, and reports what it did", async () => {
        const peft = path.join(tmp, "peft"), back = path.join(tmp, "back.gguf");
        const there = await runCli(["adapter", "convert", adapter, peft, "--model", model, "--json"]);
        expect(there.stderr).toBe("");
        expect(there.code).toBe(0);
        expect(JSON.parse(there.stdout)).toMatchObject({from: "gguf", to: "peft", arch: "llama", rank: 4, scale: 2, modules: 14, permutedQK: true, warnings: []});
        expect(fs.readdirSync(peft).sort()).toEqual(["adapter_config.json", "adapter_model.safetensors"]);
        // Back without --model: prism's export records the architecture and head counts.
        const again = await runCli(["adapter", "convert", peft, back]);
        expect(again.code).toBe(0);
        expect(again.stdout).toMatch(/wrote .*back\.gguf \(gguf\) from .*peft \(peft\): llama, rank 4, scale 2, 14 projections/);
        const [a, b] = [await readGgufLora(adapter), await readGgufLora(back)];
        expect(b.alpha).toBe(a.alpha);
        b.modules.forEach((m, i) => {
            expect(Buffer.from(m.a.buffer).equals(Buffer.from(a.modules[i]!.a.buffer))).toBe(true);
            expect(Buffer.from(m.b.buffer).equals(Buffer.from(a.modules[i]!.b.buffer))).toBe(true);
        });
    });

    it("prism info describes a PEFT directory and still a GGUF adapter", async () => {
        const peft = path.join(tmp, "peft-info");
        expect((await runCli(["adapter", "convert", adapter, peft, "--model", model, "--base-model-name", "prism/tiny"])).code).toBe(0);
        const info = await runCli(["info", peft, "--json"]);
        expect(info.code).toBe(0);
        expect(JSON.parse(info.stdout)).toMatchObject({
            kind: "peft-adapter", architecture: "llama", baseModelName: "prism/tiny", rank: 4, alpha: 8, scale: 2, layers: [0, 1], tensorCount: 28,
            targets: ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"], tensorTypes: {F32: 28}
        });
        const human = await runCli(["info", peft]);
        expect(human.stdout).toMatch(/kind\s+PEFT LoRA adapter/);
        expect(human.stdout).toMatch(/base_model\.model\.model\.layers\.0\.self_attn\.k_proj\.lora_B\.weight\s+F32\s+\[32, 4\]/);
        expect(JSON.parse((await runCli(["info", adapter, "--json"])).stdout)).toMatchObject({kind: "adapter", lora: {rank: 4, alpha: 8}});
    });

    it("rejects bad input with exit code 3 and says what is wrong", async () => {
        const peft = path.join(tmp, "peft-bad");
        expect((await runCli(["adapter", "convert", adapter, peft, "--model", model])).code).toBe(0);

        const missing = await runCli(["adapter", "convert", path.join(tmp, "no-such-dir"), path.join(tmp, "x.gguf")]);
        expect(missing.code).toBe(3);
        expect(missing.stderr).toMatch(/adapter not found: .*no-such-dir/);

        const qwen = await runCli(["adapter", "convert", peft, path.join(tmp, "y.gguf"), "--model", await tinyModel({arch: "qwen2", ...shape})]);
        expect(qwen.code).toBe(3);
        expect(qwen.stderr).toMatch(/exported from a llama model, but the base model .* is qwen2/);

        const narrow = await runCli(["adapter", "convert", adapter, path.join(tmp, "z"), "--model", await tinyModel({arch: "llama", ...shape, dim: 32})]);
        expect(narrow.code).toBe(3);
        expect(narrow.stderr).toMatch(/blk\.0\.attn_q\.weight\.lora_a\/lora_b: the adapter maps 64 → 64 but the base model's attn_q maps 32 → 32/);

        const otherSeed = await tinyModel({arch: "llama", ...shape, seed: 9});
        const fingerprint = await runCli(["adapter", "convert", adapter, path.join(tmp, "w"), "--model", otherSeed]);
        expect(fingerprint.code).toBe(3);
        expect(fingerprint.stderr).toMatch(/records base model sha256:/);
        const allowed = await runCli(["adapter", "convert", adapter, path.join(tmp, "w"), "--model", otherSeed, "--allow-other-base"]);
        expect(allowed.code).toBe(0);
        expect(allowed.stdout).toMatch(/warning: the adapter records base model/);

        const weights = path.join(peft, "adapter_model.safetensors");
        fs.truncateSync(weights, fs.statSync(weights).size - 100);
        const truncated = await runCli(["adapter", "convert", peft, path.join(tmp, "t.gguf")]);
        expect(truncated.code).toBe(3);
        expect(truncated.stderr).toMatch(/adapter_model\.safetensors: truncated: tensor .* ends at data byte/);
        expect((await runCli(["info", peft])).code).toBe(3);
    });

    it("rejects bad usage with exit code 2", async () => {
        const noModel = await runCli(["adapter", "convert", adapter, path.join(tmp, "needs-model")]);
        expect(noModel.code).toBe(2);
        expect(noModel.stderr).toMatch(/head counts are unknown; pass the base model \(--model BASE\.gguf\)/);
        expect((await runCli(["adapter", "convert", adapter, path.join(tmp, "q"), "--to", "onnx"])).code).toBe(2);
        expect((await runCli(["adapter", "convert", adapter, adapter])).stderr).toMatch(/is the input/);
        expect((await runCli(["adapter", "convert", "--help"])).stdout).toMatch(/--to/);
    });
});
