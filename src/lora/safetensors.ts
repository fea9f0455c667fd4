import fs from "node:fs";
import {writeFileAtomic} from "../util/atomic-write.js";
import {MissingFileError} from "../util/prism-error.js";
import {floatsToHalves, halvesToFloats} from "../model/float16.js";
import {InvalidModelFileError} from "../model/invalid-model-file-error.js";

/*
 * The safetensors format (Hugging Face): an 8-byte little-endian header length N, N bytes of JSON
 * {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {string: string}}, then the tensor bytes,
 * with offsets relative to the end of the header. Written by hand: npm has no maintained safetensors package
 * (the "safetensors" name is an empty 0.0.1 placeholder, and @huggingface/hub only parses headers of hub files).
 */

/** The dtypes prism reads; it writes F32 and F16. */
export type SafetensorsDtype = "F32" | "F16" | "BF16";
const bytesPerValue: Record<SafetensorsDtype, number> = {F32: 4, F16: 2, BF16: 2};
const allDtypes = ["BOOL", "U8", "I8", "F8_E5M2", "F8_E4M3", "I16", "U16", "F16", "BF16", "I32", "U32", "F32", "F64", "I64", "U64"];

export type SafetensorsTensor = {
    /** The dtype stored in the file (values are decoded to F32 either way). */
    dtype: SafetensorsDtype,
    /** Row-major, outermost first (PyTorch's order). */
    shape: number[],
    data: Float32Array
};

export type SafetensorsContent = {
    tensors: Map<string, SafetensorsTensor>,
    /** The header's `__metadata__` (string values only, as the format requires). */
    metadata: Record<string, string>
};

/** Refuse headers past this size: the reference implementation's limit, and a guard against reading garbage as a length. */
const MAX_HEADER_BYTES = 100_000_000;
const hint = "the file is not a complete safetensors file: re-export or re-download it";

/** One tensor's header entry; offsets are absolute positions in the file. */
export type SafetensorsEntry = {name: string, dtype: SafetensorsDtype, shape: number[], begin: number, end: number};

export type SafetensorsHeader = {
    /** In file order. */
    entries: SafetensorsEntry[],
    metadata: Record<string, string>,
    fileSizeBytes: number
};

/** Reads and validates a safetensors header against the file's size, without reading the tensor data. */
export function readSafetensorsHeader(filePath: string): SafetensorsHeader {
    let fd: number;
    try {
        fd = fs.openSync(filePath, "r");
    } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") throw new MissingFileError(filePath, "safetensors file");
        throw new InvalidModelFileError(filePath, `cannot read: ${(err as Error).message}`, {cause: err});
    }
    try {
        const bad = (reason: string) => new InvalidModelFileError(filePath, reason, {hint});
        const fileSizeBytes = fs.fstatSync(fd).size;
        if (fileSizeBytes < 8) throw bad(`truncated: ${fileSizeBytes} bytes, too short for a safetensors header`);
        const prefix = Buffer.alloc(8);
        fs.readSync(fd, prefix, 0, 8, 0);
        const headerLength = prefix.readBigUInt64LE(0);
        if (headerLength > BigInt(MAX_HEADER_BYTES)) throw bad(`header length ${headerLength} is implausible (not a safetensors file?)`);
        const dataStart = 8 + Number(headerLength);
        if (dataStart > fileSizeBytes) throw bad(`truncated: the header needs ${headerLength} bytes but only ${fileSizeBytes - 8} follow`);
        const json = Buffer.alloc(Number(headerLength));
        fs.readSync(fd, json, 0, json.byteLength, 8);
        return {...parseHeader(filePath, json, dataStart, fileSizeBytes), fileSizeBytes};
    } finally {
        fs.closeSync(fd);
    }
}

/** Reads a whole safetensors file, decoding F32, F16 and BF16 tensors to F32. */
export function readSafetensors(filePath: string): SafetensorsContent {
    const header = readSafetensorsHeader(filePath);
    const bytes = fs.readFileSync(filePath);
    const tensors = new Map<string, SafetensorsTensor>();
    for (const e of header.entries) {
        // Copy out: the slice may sit at an offset that is not a multiple of the element size.
        const raw = new Uint8Array(bytes.subarray(e.begin, e.end)).buffer;
        tensors.set(e.name, {dtype: e.dtype, shape: e.shape, data: decode(raw, e.dtype)});
    }
    return {tensors, metadata: header.metadata};
}

/** Checks every entry against the format and the data section [dataStart, fileSizeBytes). */
function parseHeader(filePath: string, json: Buffer, dataStart: number, fileSizeBytes: number): Omit<SafetensorsHeader, "fileSizeBytes"> {
    const bad = (reason: string) => new InvalidModelFileError(filePath, reason, {hint});
    const dataLength = fileSizeBytes - dataStart;
    let header: unknown;
    try {
        header = JSON.parse(json.toString("utf8"));
    } catch (err) {
        throw bad(`the header is not valid JSON (${(err as Error).message})`);
    }
    if (typeof header !== "object" || header === null || Array.isArray(header)) throw bad("the header is not a JSON object");
    const metadata: Record<string, string> = {};
    const entries: SafetensorsEntry[] = [];
    for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
        if (name === "__metadata__") {
            for (const [k, v] of Object.entries((raw ?? {}) as Record<string, unknown>)) {
                if (typeof v !== "string") throw bad(`__metadata__.${k} is not a string`);
                metadata[k] = v;
            }
            continue;
        }
        const info = raw as {dtype?: unknown, shape?: unknown, data_offsets?: unknown};
        if (typeof info?.dtype !== "string" || !Array.isArray(info.shape) || !Array.isArray(info.data_offsets) || info.data_offsets.length !== 2)
            throw bad(`tensor ${name}: the header entry needs dtype, shape and data_offsets [begin, end]`);
        if (!(info.dtype in bytesPerValue))
            throw new InvalidModelFileError(filePath, `tensor ${name} has dtype ${info.dtype}, which prism cannot read`, {
                hint: allDtypes.includes(info.dtype) ? "prism reads F32, F16 and BF16 adapters; convert the adapter to one of them" : hint
            });
        const shape = info.shape as unknown[], [begin, end] = info.data_offsets as unknown[];
        if (!shape.every(isCount) || !isCount(begin) || !isCount(end)) throw bad(`tensor ${name}: shape and data_offsets must be non-negative integers`);
        const dtype = info.dtype as SafetensorsDtype;
        const expected = shape.reduce((a, b) => a * b, 1) * bytesPerValue[dtype];
        if (end - begin !== expected) throw bad(`tensor ${name}: data_offsets [${begin}, ${end}] hold ${end - begin} bytes, but ${dtype} [${shape.join(", ")}] needs ${expected}`);
        if (end > dataLength) throw bad(`truncated: tensor ${name} ends at data byte ${end} but the file has ${dataLength} bytes of data`);
        entries.push({name, dtype, shape, begin: dataStart + begin, end: dataStart + end});
    }
    const byOffset = [...entries].sort((a, b) => a.begin - b.begin);
    for (let i = 1; i < byOffset.length; i++) {
        const prev = byOffset[i - 1]!, cur = byOffset[i]!;
        if (cur.begin < prev.end)
            throw bad(`tensors ${prev.name} and ${cur.name} overlap (data_offsets [${prev.begin - dataStart}, ${prev.end - dataStart}] and [${cur.begin - dataStart}, ${cur.end - dataStart}])`);
    }
    return {entries, metadata};
}

export type WriteSafetensorsOptions = {
    /** Storage dtype of every tensor. Defaults to `"F32"`. */
    dtype?: "F32" | "F16",
    /** Written as `__metadata__`. Defaults to `{format: "pt"}`, which is what PyTorch-side loaders expect. */
    metadata?: Record<string, string>
};

/** Writes tensors (in the given order) as a safetensors file, atomically. */
export async function writeSafetensors(filePath: string, tensors: ReadonlyMap<string, {shape: readonly number[], data: Float32Array}>, options: WriteSafetensorsOptions = {}): Promise<void> {
    const dtype = options.dtype ?? "F32";
    const header: Record<string, unknown> = {__metadata__: options.metadata ?? {format: "pt"}};
    const chunks: Uint8Array[] = [];
    let offset = 0;
    for (const [name, t] of tensors) {
        const count = t.shape.reduce((a, b) => a * b, 1);
        if (count !== t.data.length) throw new Error(`safetensors: tensor ${name} has ${t.data.length} values but shape [${t.shape.join(", ")}]`);
        const bytes = dtype === "F32" ? new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength) : new Uint8Array(floatsToHalves(t.data).buffer);
        header[name] = {dtype, shape: [...t.shape], data_offsets: [offset, offset + bytes.byteLength]};
        chunks.push(bytes);
        offset += bytes.byteLength;
    }
    // Pad the header with spaces to a multiple of 8, as the reference writer does, so the data is 8-byte aligned.
    let json = JSON.stringify(header);
    json += " ".repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
    const prefix = Buffer.alloc(8);
    prefix.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
    await writeFileAtomic(filePath, [prefix, Buffer.from(json, "utf8"), ...chunks]);
}

function decode(raw: ArrayBuffer, dtype: SafetensorsDtype): Float32Array {
    switch (dtype) {
        case "F32": return new Float32Array(raw);
        case "F16": return halvesToFloats(new Uint16Array(raw));
        case "BF16": {
            // bfloat16 is the top half of a float32.
            const halves = new Uint16Array(raw);
            const words = new Uint32Array(halves.length);
            for (let i = 0; i < halves.length; i++) words[i] = halves[i]! << 16;
            return new Float32Array(words.buffer);
        }
    }
}

function isCount(v: unknown): v is number {
    return typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
}
