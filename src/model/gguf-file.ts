import fs from "node:fs";
import path from "node:path";
import {gguf as parseGguf} from "@huggingface/gguf";
import {MissingFileError} from "../util/prism-error.js";
import {ggmlTypeName, isKnownGgmlType, tensorSizeBytes} from "./ggml-type.js";
import {GgufValueType, plainValue, type GgufMetadata, type GgufValue} from "./gguf-value.js";
import {GGUF_MAGIC} from "./gguf-writer.js";
import {InvalidModelFileError} from "./invalid-model-file-error.js";

export type GgufTensorInfo = {
    name: string,
    type: number,
    /** ggml ne order: innermost first. */
    shape: number[],
    /** Absolute byte offset of the data in the file. */
    offset: number,
    sizeBytes: number
};

/**
 * A parsed GGUF file: metadata and tensor directory, validated against the file's size.
 * Tensor bytes are read on demand, so opening a multi-gigabyte model costs only its header.
 */
export class GgufFile {
    private readonly byName: Map<string, GgufTensorInfo>;

    private constructor(
        readonly path: string,
        readonly version: number,
        readonly metadata: GgufMetadata,
        readonly tensors: readonly GgufTensorInfo[],
        readonly dataOffset: number,
        readonly fileSizeBytes: number
    ) {
        this.byName = new Map(tensors.map((t) => [t.name, t]));
    }

    static async open(filePath: string): Promise<GgufFile> {
        const abs = path.resolve(filePath);
        let stat: fs.Stats;
        try {
            stat = fs.statSync(abs);
        } catch {
            throw new MissingFileError(filePath, "GGUF file");
        }
        if (!stat.isFile()) throw new InvalidModelFileError(filePath, "not a regular file");
        const fd = fs.openSync(abs, "r");
        const head = Buffer.alloc(8);
        try {
            fs.readSync(fd, head, 0, 8, 0);
        } finally {
            fs.closeSync(fd);
        }
        if (stat.size < 24 || head.readUInt32LE(0) !== GGUF_MAGIC)
            throw new InvalidModelFileError(filePath, "not a GGUF file (it does not start with the GGUF magic bytes)", {
                hint: "prism reads GGUF models and adapters; convert other formats with llama.cpp's convert_hf_to_gguf.py"
            });
        let parsed: Awaited<ReturnType<typeof parseGguf>> & {typedMetadata: Record<string, {value: unknown, type: number, subType?: number}>};
        try {
            parsed = await parseGguf(abs, {allowLocalFile: true, typedMetadata: true}) as typeof parsed;
        } catch (err) {
            throw new InvalidModelFileError(filePath, `truncated or corrupt GGUF header (${(err as Error).message})`, {cause: err});
        }
        const metadata: GgufMetadata = {};
        for (const [key, entry] of Object.entries(parsed.typedMetadata)) {
            if (key === "version" || key === "tensor_count" || key === "kv_count") continue;
            metadata[key] = (entry.type === GgufValueType.ARRAY
                ? {type: GgufValueType.ARRAY, subType: entry.subType ?? GgufValueType.STRING, value: entry.value}
                : {type: entry.type, value: entry.value}) as GgufValue;
        }
        const dataOffset = Number(parsed.tensorDataOffset);
        // The parser reads past the end of a cut file without complaint; a header that ends beyond EOF means truncation.
        if (dataOffset > stat.size || parsed.tensorInfos.some((t) => t.name === ""))
            throw new InvalidModelFileError(filePath, `truncated: the GGUF header alone needs ${dataOffset} bytes but the file has ${stat.size}`);
        const tensors: GgufTensorInfo[] = parsed.tensorInfos.map((t) => {
            const type = Number(t.dtype);
            const shape = t.shape.map(Number);
            if (!isKnownGgmlType(type)) throw new InvalidModelFileError(filePath, `tensor ${t.name} has unknown type ${type}`);
            const info = {name: t.name, type, shape, offset: dataOffset + Number(t.offset), sizeBytes: tensorSizeBytes(type, shape)};
            if (info.offset + info.sizeBytes > stat.size)
                throw new InvalidModelFileError(filePath, `truncated: tensor ${t.name} (${ggmlTypeName(type)} [${shape.join(", ")}]) ends at byte ${info.offset + info.sizeBytes} but the file has ${stat.size} bytes`);
            return info;
        });
        return new GgufFile(filePath, Number(parsed.metadata.version), metadata, tensors, dataOffset, stat.size);
    }

    /** The plain value of a metadata key (strings, numbers, booleans or arrays of them). */
    get<T = unknown>(key: string): T | undefined {
        return plainValue(this.metadata[key]) as T | undefined;
    }

    require<T = unknown>(key: string): T {
        const v = this.get<T>(key);
        if (v === undefined) throw new InvalidModelFileError(this.path, `metadata key ${key} is missing`);
        return v;
    }

    get architecture(): string | undefined {
        return this.get<string>("general.architecture");
    }

    /** "model" or "adapter" (llama.cpp's general.type, which defaults to model). */
    get fileType(): "model" | "adapter" {
        return this.get<string>("general.type") === "adapter" ? "adapter" : "model";
    }

    tensor(name: string): GgufTensorInfo | undefined {
        return this.byName.get(name);
    }

    requireTensor(name: string): GgufTensorInfo {
        const t = this.byName.get(name);
        if (!t) throw new InvalidModelFileError(this.path, `tensor ${name} is missing`);
        return t;
    }

    /** Reads one tensor's raw bytes. */
    readTensorBytes(name: string | GgufTensorInfo): Uint8Array {
        const info = typeof name === "string" ? this.requireTensor(name) : name;
        const out = new Uint8Array(info.sizeBytes);
        const fd = fs.openSync(this.path, "r");
        try {
            let done = 0;
            while (done < out.byteLength) {
                const n = fs.readSync(fd, out, done, out.byteLength - done, info.offset + done);
                if (n === 0) throw new InvalidModelFileError(this.path, `truncated while reading tensor ${info.name}`);
                done += n;
            }
        } finally {
            fs.closeSync(fd);
        }
        return out;
    }
}
