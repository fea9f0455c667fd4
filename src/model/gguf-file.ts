import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import {gguf as parseGguf} from "@huggingface/gguf";
import {MissingFileError} from "../util/prism-error.js";
import {ggmlTypeName, isKnownGgmlType, tensorSizeBytes} from "./ggml-type.js";
import {GgufValueType, plainValue, type GgufMetadata, type GgufValue} from "./gguf-value.js";
import {GGUF_MAGIC} from "./gguf-writer.js";
import {InvalidModelFileError} from "./invalid-model-file-error.js";
import {modelFingerprint} from "./model-fingerprint.js";

export type GgufTensorInfo = {
    name: string,
    type: number,
    /** ggml ne order: innermost first. */
    shape: number[],
    /** Absolute byte offset of the data in its file. */
    offset: number,
    sizeBytes: number,
    /** The file that holds the data: the shard, for split models. */
    file: string
};

/** One file of a model: the whole model, or one shard of a split one (`name-00001-of-00003.gguf`, as llama.cpp's gguf-split writes). */
export type GgufShard = {path: string, sizeBytes: number, dataOffset: number, tensorCount: number};

type ParsedGguf = {version: number, metadata: GgufMetadata, tensors: GgufTensorInfo[], dataOffset: number, sizeBytes: number};

const SPLIT_SUFFIX = /-(\d{5})-of-(\d{5})\.gguf$/;

/**
 * A parsed GGUF model or adapter: metadata and tensor directory, validated against the file's size. A split model
 * (`…-00001-of-0000N.gguf`) is opened from its first shard, as llama.cpp loads it, and reads as one file: the
 * metadata is the first shard's, the tensors are every shard's. Tensor bytes are read on demand, so opening a
 * multi-gigabyte model costs only its headers.
 */
export class GgufFile {
    private readonly byName: Map<string, GgufTensorInfo>;
    private cachedFingerprint?: string;

    private constructor(
        readonly path: string,
        readonly version: number,
        readonly metadata: GgufMetadata,
        readonly tensors: readonly GgufTensorInfo[],
        /** Where the first file's tensor data starts. */
        readonly dataOffset: number,
        /** Every file of the model, the first one first (one entry unless the model is split). */
        readonly shards: readonly GgufShard[]
    ) {
        this.byName = new Map(tensors.map((t) => [t.name, t]));
    }

    /** Bytes of all the model's files together. */
    get fileSizeBytes(): number {
        return this.shards.reduce((a, s) => a + s.sizeBytes, 0);
    }

    /** The model's identity (modelFingerprint of its file; of every shard's, combined, for a split model). */
    get fingerprint(): string {
        if (this.cachedFingerprint) return this.cachedFingerprint;
        const each = this.shards.map((s) => modelFingerprint(s.path, s.dataOffset));
        this.cachedFingerprint = each.length === 1 ? each[0]! : "sha256:" + crypto.createHash("sha256").update(each.join("\n")).digest("hex").slice(0, 32);
        return this.cachedFingerprint;
    }

    static async open(filePath: string): Promise<GgufFile> {
        const first = await parseGgufFile(filePath);
        const count = plainValue(first.metadata["split.count"]) as number | undefined;
        if (count === undefined || count <= 1)
            return new GgufFile(filePath, first.version, first.metadata, first.tensors, first.dataOffset, [shardOf(filePath, first)]);

        const no = (plainValue(first.metadata["split.no"]) as number | undefined) ?? 0;
        const suffix = SPLIT_SUFFIX.exec(filePath);
        if (!suffix || Number(suffix[1]) !== no + 1 || Number(suffix[2]) !== count)
            throw new InvalidModelFileError(filePath, `shard ${no + 1} of a model split into ${count} files, not named name-${pad(no + 1)}-of-${pad(count)}.gguf`, {
                hint: "keep the shard names llama.cpp's gguf-split gave them, so the other shards can be found"
            });
        const prefix = filePath.slice(0, suffix.index);
        if (no !== 0)
            throw new InvalidModelFileError(filePath, `shard ${no + 1} of ${count} of a split model: a split model is opened from its first shard`, {
                hint: `pass ${prefix}-${pad(1)}-of-${pad(count)}.gguf`
            });
        const tensors = [...first.tensors];
        const shards = [shardOf(filePath, first)];
        for (let i = 1; i < count; i++) {
            const shardPath = `${prefix}-${pad(i + 1)}-of-${pad(count)}.gguf`;
            if (!fs.existsSync(shardPath))
                throw new InvalidModelFileError(filePath, `shard ${i + 1} of ${count} (${shardPath}) is missing`, {
                    hint: "download every shard of the split model into the same folder, under the names they were published with"
                });
            const shard = await parseGgufFile(shardPath);
            const shardNo = plainValue(shard.metadata["split.no"]) as number | undefined;
            const shardCount = plainValue(shard.metadata["split.count"]) as number | undefined;
            if (shardNo !== i || shardCount !== count)
                throw new InvalidModelFileError(shardPath, `says it is shard ${(shardNo ?? 0) + 1} of ${shardCount ?? 1}, expected shard ${i + 1} of ${count}`, {
                    hint: "the shards come from different splits: download the whole split model again"
                });
            tensors.push(...shard.tensors);
            shards.push(shardOf(shardPath, shard));
        }
        const expected = plainValue(first.metadata["split.tensors.count"]) as number | undefined;
        if (expected !== undefined && expected !== tensors.length)
            throw new InvalidModelFileError(filePath, `the ${count} shards hold ${tensors.length} tensors, but split.tensors.count says ${expected}`, {
                hint: "the shards come from different splits: download the whole split model again"
            });
        return new GgufFile(filePath, first.version, first.metadata, tensors, first.dataOffset, shards);
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
        const fd = fs.openSync(info.file, "r");
        try {
            let done = 0;
            while (done < out.byteLength) {
                const n = fs.readSync(fd, out, done, out.byteLength - done, info.offset + done);
                if (n === 0) throw new InvalidModelFileError(info.file, `truncated while reading tensor ${info.name}`);
                done += n;
            }
        } finally {
            fs.closeSync(fd);
        }
        return out;
    }
}

/** One GGUF file's header, validated against its size. */
async function parseGgufFile(filePath: string): Promise<ParsedGguf> {
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
        const info = {name: t.name, type, shape, offset: dataOffset + Number(t.offset), sizeBytes: tensorSizeBytes(type, shape), file: filePath};
        if (info.offset + info.sizeBytes > stat.size)
            throw new InvalidModelFileError(filePath, `truncated: tensor ${t.name} (${ggmlTypeName(type)} [${shape.join(", ")}]) ends at byte ${info.offset + info.sizeBytes} but the file has ${stat.size} bytes`);
        return info;
    });
    return {version: Number(parsed.metadata.version), metadata, tensors, dataOffset, sizeBytes: stat.size};
}

function shardOf(filePath: string, parsed: ParsedGguf): GgufShard {
    return {path: filePath, sizeBytes: parsed.sizeBytes, dataOffset: parsed.dataOffset, tensorCount: parsed.tensors.length};
}

const pad = (n: number) => String(n).padStart(5, "0");
