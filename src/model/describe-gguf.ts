import {ggmlTypeName} from "./ggml-type.js";
import {GgufFile} from "./gguf-file.js";
import {readModelHparams} from "./model-hparams.js";
import {supportedArchitectures} from "./architecture.js";

export type GgufDescription = {
    path: string,
    kind: "model" | "adapter",
    architecture: string | null,
    name: string | null,
    /** All files together, for a split model. */
    fileSizeBytes: number,
    /** Every file of the model (one unless it is split into shards), with its size and tensor count. */
    shards: {path: string, sizeBytes: number, tensorCount: number}[],
    ggufVersion: number,
    tensorCount: number,
    parameterCount: number,
    /** Tensor count by ggml type name. */
    tensorTypes: Record<string, number>,
    fingerprint: string,
    /** For models whose architecture prism's trainer knows. */
    hparams?: {layers: number, embedding: number, heads: number, kvHeads: number, headDim: number, feedForward: number, vocab: number, contextLength: number, ropeTheta: number, tiedEmbeddings: boolean,
        ropeScaling: {type: string, factor: number, originalContext: number}, trainerUnsupported: string[]},
    /** For models of other architectures, whatever the metadata says. */
    vocabSize?: number,
    chatTemplate?: boolean,
    /** For adapters. */
    lora?: {alpha: number | null, rank: number | null, targets: string[], layers: number[], baseModelFingerprint: string | null},
    /** shard: the index in `shards` of the file that holds the tensor. */
    tensors: {name: string, type: string, shape: number[], shard: number}[]
};

/** Everything `prism info` shows about a model or adapter file. */
export async function describeGguf(filePath: string): Promise<GgufDescription> {
    const file = await GgufFile.open(filePath);
    const tensorTypes: Record<string, number> = {};
    let parameterCount = 0;
    for (const t of file.tensors) {
        const name = ggmlTypeName(t.type);
        tensorTypes[name] = (tensorTypes[name] ?? 0) + 1;
        parameterCount += t.shape.reduce((a, b) => a * b, 1);
    }
    const arch = file.architecture ?? null;
    const shardOf = new Map(file.shards.map((s, i) => [s.path, i]));
    const d: GgufDescription = {
        path: filePath,
        kind: file.fileType,
        architecture: arch,
        name: file.get<string>("general.name") ?? null,
        fileSizeBytes: file.fileSizeBytes,
        shards: file.shards.map((s) => ({path: s.path, sizeBytes: s.sizeBytes, tensorCount: s.tensorCount})),
        ggufVersion: file.version,
        tensorCount: file.tensors.length,
        parameterCount,
        tensorTypes,
        fingerprint: file.fingerprint,
        tensors: file.tensors.map((t) => ({name: t.name, type: ggmlTypeName(t.type), shape: t.shape, shard: shardOf.get(t.file) ?? 0}))
    };
    if (file.fileType === "adapter") {
        const ranks = new Set<number>();
        const targets = new Set<string>();
        const layers = new Set<number>();
        for (const t of file.tensors) {
            const m = /^blk\.(\d+)\.(\w+)\.weight\.lora_a$/.exec(t.name);
            if (!m) continue;
            layers.add(Number(m[1]));
            targets.add(m[2]!);
            ranks.add(t.shape[1]!);
        }
        d.lora = {
            alpha: file.get<number>("adapter.lora.alpha") ?? null,
            rank: ranks.size === 1 ? [...ranks][0]! : null,
            targets: [...targets],
            layers: [...layers].sort((a, b) => a - b),
            baseModelFingerprint: file.get<string>("prism.base_model.fingerprint") ?? null
        };
    } else if (arch && supportedArchitectures.includes(arch)) {
        const h = readModelHparams(file);
        d.hparams = {layers: h.nLayer, embedding: h.nEmbd, heads: h.nHead, kvHeads: h.nHeadKv, headDim: h.headDim, feedForward: h.nFf, vocab: h.nVocab, contextLength: h.nCtxTrain, ropeTheta: h.ropeTheta, tiedEmbeddings: h.tiedEmbeddings,
            ropeScaling: {type: h.ropeScaling.type, factor: h.ropeScaling.factor, originalContext: h.ropeScaling.nCtxOrig}, trainerUnsupported: h.unsupported};
    } else {
        d.vocabSize = file.get<string[]>("tokenizer.ggml.tokens")?.length;
    }
    d.chatTemplate = file.get<string>("tokenizer.chat_template") !== undefined;
    return d;
}
