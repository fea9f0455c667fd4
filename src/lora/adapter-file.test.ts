import fs from "node:fs";
import path from "node:path";
import {beforeAll, describe, expect, it} from "vitest";
import {tempDir, tinyLora} from "../../test/helpers/tiny-models.js";
import {GgufFile} from "../model/gguf-file.js";
import {readAdapterBase, type AdapterBase} from "./adapter-base.js";
import {detectAdapterFormat, loadAdapter, saveAdapter} from "./adapter-file.js";
import {PEFT_WEIGHTS_FILE} from "./peft-adapter.js";

const tmp = tempDir("adapter-file");
let adapterPath: string, base: AdapterBase;
beforeAll(async () => {
    const t = await tinyLora({arch: "llama", layers: 2, dim: 64, heads: 4, kvHeads: 2}, {rank: 4});
    adapterPath = t.adapter;
    base = await readAdapterBase(t.model);
});

describe("loadAdapter / saveAdapter", () => {
    it("tells a GGUF file from a PEFT directory and reads both to the same adapter", async () => {
        const gguf = await loadAdapter(adapterPath);
        expect(gguf.format).toBe("gguf");
        const dir = path.join(tmp, "peft");
        await saveAdapter(dir, gguf.lora, {format: "peft", base});
        expect(detectAdapterFormat(dir)).toBe("peft");
        const peft = await loadAdapter(dir);
        expect(peft.format).toBe("peft");
        expect(peft.config).toMatchObject({rank: 4, alpha: 8, useRslora: false});
        expect(peft.lora.modules.map((m) => m.b)).toEqual(gguf.lora.modules.map((m) => m.b));
    });

    it("writes F16 GGUF adapters on request", async () => {
        const out = path.join(tmp, "half.gguf");
        await saveAdapter(out, (await loadAdapter(adapterPath)).lora, {format: "gguf", dtype: "f16"});
        expect((await GgufFile.open(out)).tensors.every((t) => t.type === 1)).toBe(true);
    });

    it("explains paths of the wrong kind", async () => {
        const lora = (await loadAdapter(adapterPath)).lora;
        expect(() => detectAdapterFormat(path.join(tmp, "absent"))).toThrow(/adapter not found/);
        const dir = path.join(tmp, "peft2");
        await saveAdapter(dir, lora, {format: "peft", base});
        expect(() => detectAdapterFormat(path.join(dir, PEFT_WEIGHTS_FILE))).toThrow(/is the weights file of a PEFT adapter/);
        await expect(saveAdapter(dir, lora, {format: "gguf"})).rejects.toThrow(/is a directory; a GGUF adapter is one file/);
        fs.writeFileSync(path.join(tmp, "file"), "x");
        await expect(saveAdapter(path.join(tmp, "file"), lora, {format: "peft", base})).rejects.toThrow(/is a file; a PEFT adapter is a directory/);
    });
});
