import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {describe, expect, it} from "vitest";
import {GgmlType} from "./ggml-type.js";
import {GgufFile} from "./gguf-file.js";
import {gguf, GgufValueType} from "./gguf-value.js";
import {encodeGguf, writeGguf} from "./gguf-writer.js";
import {InvalidModelFileError} from "./invalid-model-file-error.js";
import {encodeTensor} from "./quantize.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "prism-gguf-"));

describe("GGUF writer and reader", () => {
    it("round-trips typed metadata and tensor bytes", async () => {
        const file = path.join(tmp, "rt.gguf");
        const values = Float32Array.from({length: 64}, (_, i) => i / 7);
        await writeGguf(file, {
            "general.architecture": gguf.str("llama"),
            "x.u32": gguf.u32(7), "x.i32": gguf.i32(-3), "x.f32": gguf.f32(0.5), "x.bool": gguf.bool(true), "x.u64": gguf.u64(1n << 40n),
            "x.strings": gguf.strings(["a", "ü", ""]), "x.ints": gguf.i32s([1, -2, 3])
        }, [
            {name: "a", type: GgmlType.F32, shape: [8, 8], data: encodeTensor(values, GgmlType.F32)},
            {name: "b", type: GgmlType.Q8_0, shape: [32, 2], data: encodeTensor(values, GgmlType.Q8_0)}
        ]);
        const f = await GgufFile.open(file);
        expect(f.version).toBe(3);
        expect(f.get("x.u32")).toBe(7);
        expect(f.get("x.i32")).toBe(-3);
        expect(f.get("x.f32")).toBe(0.5);
        expect(f.get("x.bool")).toBe(true);
        expect(f.get("x.u64")).toBe(2 ** 40);
        expect(f.get("x.strings")).toEqual(["a", "ü", ""]);
        expect(f.metadata["x.ints"]).toEqual({type: GgufValueType.ARRAY, subType: GgufValueType.INT32, value: [1, -2, 3]});
        expect(f.tensors.map((t) => [t.name, t.shape, t.offset % 32])).toEqual([["a", [8, 8], 0], ["b", [32, 2], 0]]);
        expect(new Float32Array(f.readTensorBytes("a").buffer)).toEqual(values);
        expect(f.readTensorBytes("b")).toEqual(encodeTensor(values, GgmlType.Q8_0));
    });

    it("refuses a tensor whose byte count does not match its type and shape", () => {
        expect(() => encodeGguf({}, [{name: "t", type: GgmlType.F32, shape: [4], data: new Uint8Array(15)}])).toThrow(/15 bytes given, 16 expected/);
    });

    it("names the problem for missing, non-GGUF and truncated files", async () => {
        await expect(GgufFile.open(path.join(tmp, "nope.gguf"))).rejects.toThrow(/not found/);
        const text = path.join(tmp, "text.gguf");
        fs.writeFileSync(text, "this is not a model, just some text that is long enough");
        await expect(GgufFile.open(text)).rejects.toThrow(/not a GGUF file/);
        const full = path.join(tmp, "full.gguf");
        await writeGguf(full, {"general.architecture": gguf.str("llama")}, [{name: "w", type: GgmlType.F32, shape: [256, 16], data: new Uint8Array(256 * 16 * 4)}]);
        const cut = path.join(tmp, "cut.gguf");
        fs.writeFileSync(cut, fs.readFileSync(full).subarray(0, 2000));
        const err = await GgufFile.open(cut).catch((e: unknown) => e);
        expect(InvalidModelFileError.isInstance(err)).toBe(true);
        expect((err as Error).message).toMatch(/truncated: tensor w .* ends at byte \d+ but the file has 2000 bytes/);
        const headerCut = path.join(tmp, "header-cut.gguf");
        fs.writeFileSync(headerCut, fs.readFileSync(full).subarray(0, 40));
        await expect(GgufFile.open(headerCut)).rejects.toThrow(/truncated|corrupt/);
    });
});
