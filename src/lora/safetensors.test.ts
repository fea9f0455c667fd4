import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {describe, expect, it} from "vitest";
import {halfToFloat} from "../model/float16.js";
import {PrismError} from "../util/prism-error.js";
import {readSafetensors, writeSafetensors} from "./safetensors.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "prism-safetensors-"));

/** A safetensors file from a literal header object and raw data bytes, so malformed files can be made on purpose. */
function rawFile(name: string, header: unknown, data: Uint8Array = new Uint8Array(0)): string {
    const json = Buffer.from(JSON.stringify(header));
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(json.byteLength));
    const file = path.join(tmp, name);
    fs.writeFileSync(file, Buffer.concat([len, json, data]));
    return file;
}

function expectInputError(fn: () => unknown, pattern: RegExp): void {
    try {
        fn();
    } catch (err) {
        expect(PrismError.isInstance(err) && err.kind).toBe("input");
        expect((err as Error).message).toMatch(pattern);
        return;
    }
    throw new Error(`expected an input error matching ${pattern}`);
}

describe("safetensors", () => {
    it("round-trips F32 tensors bit for bit, with metadata and an 8-byte aligned data section", async () => {
        const file = path.join(tmp, "rt.safetensors");
        const a = Float32Array.from({length: 12}, (_, i) => Math.sin(i) * 1e-3 + i);
        const b = Float32Array.from([Math.PI, -0, 1e-38, -3.4e38, 7]);
        await writeSafetensors(file, new Map([["a", {shape: [3, 4], data: a}], ["b", {shape: [5], data: b}]]), {metadata: {format: "pt", who: "prism"}});
        const bytes = fs.readFileSync(file);
        expect((8 + Number(bytes.readBigUInt64LE(0))) % 8).toBe(0);
        const r = readSafetensors(file);
        expect(r.metadata).toEqual({format: "pt", who: "prism"});
        expect(r.tensors.get("a")).toMatchObject({dtype: "F32", shape: [3, 4]});
        expect(Buffer.from(r.tensors.get("a")!.data.buffer).equals(Buffer.from(a.buffer))).toBe(true);
        expect(Buffer.from(r.tensors.get("b")!.data.buffer).equals(Buffer.from(b.buffer))).toBe(true);
    });

    it("writes F16 and reads it back rounded to half precision", async () => {
        const file = path.join(tmp, "f16.safetensors");
        const values = Float32Array.from([0.1, -2.5, 65504, 1 / 3]);
        await writeSafetensors(file, new Map([["x", {shape: [2, 2], data: values}]]), {dtype: "F16"});
        const t = readSafetensors(file).tensors.get("x")!;
        expect(t.dtype).toBe("F16");
        expect(Array.from(t.data)).toEqual([halfToFloat(0x2e66), -2.5, 65504, halfToFloat(0x3555)]);
    });

    it("reads BF16 (the top 16 bits of a float32)", () => {
        const values = Float32Array.from([1.5, -0.09375, 3.0e38]);
        const halves = Uint16Array.from(new Uint32Array(values.buffer), (w) => w >>> 16);
        const file = rawFile("bf16.safetensors", {w: {dtype: "BF16", shape: [3], data_offsets: [0, 6]}}, new Uint8Array(halves.buffer));
        const t = readSafetensors(file).tensors.get("w")!;
        expect(t.dtype).toBe("BF16");
        expect(t.data[0]).toBe(1.5);
        expect(t.data[1]).toBe(-0.09375);
        expect(t.data[2]! / 3.0e38).toBeCloseTo(1, 2);
    });

    it("rejects truncated files, bad offsets and unknown dtypes with the file's name", async () => {
        const good = path.join(tmp, "good.safetensors");
        await writeSafetensors(good, new Map([["x", {shape: [4, 4], data: new Float32Array(16)}]]));
        const bytes = fs.readFileSync(good);
        const cut = path.join(tmp, "cut.safetensors");
        fs.writeFileSync(cut, bytes.subarray(0, bytes.byteLength - 10));
        expectInputError(() => readSafetensors(cut), /cut\.safetensors: truncated: tensor x ends at data byte 64/);
        const headerCut = path.join(tmp, "header-cut.safetensors");
        fs.writeFileSync(headerCut, bytes.subarray(0, 20));
        expectInputError(() => readSafetensors(headerCut), /header-cut\.safetensors: truncated: the header needs/);
        fs.writeFileSync(path.join(tmp, "tiny.safetensors"), Buffer.from([1, 2, 3]));
        expectInputError(() => readSafetensors(path.join(tmp, "tiny.safetensors")), /too short/);

        const data = new Uint8Array(32);
        expectInputError(() => readSafetensors(rawFile("overlap.safetensors", {
            a: {dtype: "F32", shape: [4], data_offsets: [0, 16]}, b: {dtype: "F32", shape: [4], data_offsets: [12, 28]}
        }, data)), /overlap\.safetensors: tensors a and b overlap/);
        expectInputError(() => readSafetensors(rawFile("past.safetensors", {a: {dtype: "F32", shape: [16], data_offsets: [0, 64]}}, data)), /past\.safetensors: truncated: tensor a ends at data byte 64 but the file has 32/);
        expectInputError(() => readSafetensors(rawFile("size.safetensors", {a: {dtype: "F32", shape: [3], data_offsets: [0, 16]}}, data)), /hold 16 bytes, but F32 \[3\] needs 12/);
        expectInputError(() => readSafetensors(rawFile("dtype.safetensors", {a: {dtype: "I64", shape: [2], data_offsets: [0, 16]}}, data)), /dtype\.safetensors: tensor a has dtype I64, which prism cannot read/);
        expectInputError(() => readSafetensors(rawFile("weird.safetensors", {a: {dtype: "Q9", shape: [2], data_offsets: [0, 16]}}, data)), /dtype Q9/);
        expectInputError(() => readSafetensors(rawFile("neg.safetensors", {a: {dtype: "F32", shape: [-1], data_offsets: [0, 4]}}, data)), /non-negative integers/);
        const notJson = path.join(tmp, "notjson.safetensors");
        fs.writeFileSync(notJson, Buffer.concat([Buffer.from([4, 0, 0, 0, 0, 0, 0, 0]), Buffer.from("{{{{")]));
        expectInputError(() => readSafetensors(notJson), /not valid JSON/);
        expectInputError(() => readSafetensors(path.join(tmp, "absent.safetensors")), /not found: .*absent\.safetensors/);
    });
});
