import {writeFileAtomic} from "../util/atomic-write.js";
import {tensorSizeBytes, ggmlTypeName} from "./ggml-type.js";
import {GgufValueType, type GgufMetadata, type GgufScalar, type GgufValue} from "./gguf-value.js";

export type GgufTensorToWrite = {
    name: string,
    /** ggml type number. */
    type: number,
    /** ggml ne order: innermost (row length) first. */
    shape: readonly number[],
    /** Raw bytes in that type's layout. */
    data: Uint8Array
};

export const GGUF_MAGIC = 0x46554747; // "GGUF" little-endian
export const GGUF_VERSION = 3;
export const GGUF_DEFAULT_ALIGNMENT = 32;

/** Serialises a GGUF v3 file into chunks (header, then aligned tensor data). */
export function encodeGguf(metadata: GgufMetadata, tensors: readonly GgufTensorToWrite[]): Uint8Array[] {
    const alignmentValue = metadata["general.alignment"];
    const alignment = alignmentValue ? Number(alignmentValue.value) : GGUF_DEFAULT_ALIGNMENT;
    const w = new ByteWriter();
    w.u32(GGUF_MAGIC);
    w.u32(GGUF_VERSION);
    w.u64(BigInt(tensors.length));
    w.u64(BigInt(Object.keys(metadata).length));
    for (const [key, value] of Object.entries(metadata)) {
        w.string(key);
        writeValue(w, value);
    }
    let offset = 0;
    const offsets: number[] = [];
    for (const t of tensors) {
        const expected = tensorSizeBytes(t.type, t.shape);
        if (t.data.byteLength !== expected)
            throw new Error(`tensor ${t.name}: ${t.data.byteLength} bytes given, ${expected} expected for ${ggmlTypeName(t.type)} [${t.shape.join(", ")}]`);
        w.string(t.name);
        w.u32(t.shape.length);
        for (const d of t.shape) w.u64(BigInt(d));
        w.u32(t.type);
        w.u64(BigInt(offset));
        offsets.push(offset);
        offset = alignUp(offset + expected, alignment);
    }
    const header = w.finish();
    const chunks: Uint8Array[] = [header, new Uint8Array(alignUp(header.byteLength, alignment) - header.byteLength)];
    let pos = 0;
    tensors.forEach((t, i) => {
        const start = offsets[i]!;
        if (start > pos) chunks.push(new Uint8Array(start - pos));
        chunks.push(t.data);
        pos = start + t.data.byteLength;
    });
    if (offset > pos) chunks.push(new Uint8Array(offset - pos));
    return chunks;
}

/** Writes a GGUF v3 file atomically (a crash leaves the old file or none, never half of the new one). */
export async function writeGguf(filePath: string, metadata: GgufMetadata, tensors: readonly GgufTensorToWrite[]): Promise<void> {
    await writeFileAtomic(filePath, encodeGguf(metadata, tensors));
}

export function alignUp(n: number, alignment: number): number {
    return Math.ceil(n / alignment) * alignment;
}

function writeValue(w: ByteWriter, v: GgufValue): void {
    w.u32(v.type);
    if (v.type === GgufValueType.ARRAY) {
        w.u32(v.subType);
        w.u64(BigInt(v.value.length));
        for (const item of v.value) writeScalar(w, v.subType, item);
    } else writeScalar(w, v.type, v.value);
}

function writeScalar(w: ByteWriter, type: GgufValueType, value: GgufScalar): void {
    switch (type) {
        case GgufValueType.UINT8: return w.fixed(1, (d, o) => d.setUint8(o, Number(value)));
        case GgufValueType.INT8: return w.fixed(1, (d, o) => d.setInt8(o, Number(value)));
        case GgufValueType.UINT16: return w.fixed(2, (d, o) => d.setUint16(o, Number(value), true));
        case GgufValueType.INT16: return w.fixed(2, (d, o) => d.setInt16(o, Number(value), true));
        case GgufValueType.UINT32: return w.u32(Number(value));
        case GgufValueType.INT32: return w.fixed(4, (d, o) => d.setInt32(o, Number(value), true));
        case GgufValueType.FLOAT32: return w.fixed(4, (d, o) => d.setFloat32(o, Number(value), true));
        case GgufValueType.BOOL: return w.fixed(1, (d, o) => d.setUint8(o, value ? 1 : 0));
        case GgufValueType.STRING: return w.string(String(value));
        case GgufValueType.UINT64: return w.u64(BigInt(value));
        case GgufValueType.INT64: return w.fixed(8, (d, o) => d.setBigInt64(o, BigInt(value), true));
        case GgufValueType.FLOAT64: return w.fixed(8, (d, o) => d.setFloat64(o, Number(value), true));
        default: throw new Error(`cannot write GGUF value type ${type}`);
    }
}

class ByteWriter {
    private buf = new Uint8Array(1 << 16);
    private view = new DataView(this.buf.buffer);
    private len = 0;
    private static encoder = new TextEncoder();

    fixed(size: number, put: (d: DataView, offset: number) => void): void {
        this.reserve(size);
        put(this.view, this.len);
        this.len += size;
    }
    u32(v: number): void {
        this.fixed(4, (d, o) => d.setUint32(o, v, true));
    }
    u64(v: bigint): void {
        this.fixed(8, (d, o) => d.setBigUint64(o, v, true));
    }
    string(s: string): void {
        const bytes = ByteWriter.encoder.encode(s);
        this.u64(BigInt(bytes.byteLength));
        this.reserve(bytes.byteLength);
        this.buf.set(bytes, this.len);
        this.len += bytes.byteLength;
    }
    finish(): Uint8Array {
        return this.buf.slice(0, this.len);
    }
    private reserve(n: number): void {
        if (this.len + n <= this.buf.byteLength) return;
        let size = this.buf.byteLength * 2;
        while (size < this.len + n) size *= 2;
        const next = new Uint8Array(size);
        next.set(this.buf.subarray(0, this.len));
        this.buf = next;
        this.view = new DataView(next.buffer);
    }
}
