import {architectures, type ArchitectureSpec, type ProjectionName} from "./architecture.js";
import type {GgufFile} from "./gguf-file.js";
import {InvalidModelFileError} from "./invalid-model-file-error.js";

/** A transformer's shape, read from GGUF metadata. */
export type ModelHparams = {
    arch: ArchitectureSpec,
    nLayer: number,
    /** Hidden width (C). */
    nEmbd: number,
    nHead: number,
    nHeadKv: number,
    headDim: number,
    nFf: number,
    nVocab: number,
    nCtxTrain: number,
    rmsEps: number,
    ropeTheta: number,
    /** Rotated dimensions per head (the whole head unless rope.dimension_count says otherwise). */
    ropeDim: number,
    /** True when there is no output.weight and the token embedding doubles as the output projection. */
    tiedEmbeddings: boolean
};

export function readModelHparams(file: GgufFile): ModelHparams {
    const archName = file.architecture;
    if (!archName) throw new InvalidModelFileError(file.path, "general.architecture is missing");
    const arch = architectures[archName];
    if (!arch)
        throw new InvalidModelFileError(file.path, `architecture "${archName}" is not supported by prism's trainer and gate`, {
            hint: `supported: ${Object.keys(architectures).join(", ")}; generation through llama.cpp works for any architecture it knows`
        });
    const key = (k: string) => `${archName}.${k}`;
    const num = (k: string, fallback?: number): number => {
        const v = file.get<number | number[]>(key(k));
        const n = Array.isArray(v) ? v[0] : v;
        if (typeof n === "number") return n;
        if (fallback !== undefined) return fallback;
        throw new InvalidModelFileError(file.path, `metadata key ${key(k)} is missing`);
    };
    const nEmbd = num("embedding_length");
    const nHead = num("attention.head_count");
    const headDim = num("attention.key_length", nEmbd / nHead);
    const embd = file.tensor("token_embd.weight");
    const tokens = file.get<string[]>("tokenizer.ggml.tokens");
    const nVocab = embd?.shape[1] ?? tokens?.length ?? num("vocab_size");
    return {
        arch,
        nLayer: num("block_count"),
        nEmbd,
        nHead,
        nHeadKv: num("attention.head_count_kv", nHead),
        headDim,
        nFf: num("feed_forward_length"),
        nVocab,
        nCtxTrain: num("context_length", 2048),
        rmsEps: num("attention.layer_norm_rms_epsilon", arch.defaultRmsEps),
        ropeTheta: num("rope.freq_base", arch.defaultRopeTheta),
        ropeDim: num("rope.dimension_count", headDim),
        tiedEmbeddings: file.tensor("output.weight") === undefined
    };
}

/** The (in, out) width of a projection in this model: a LoRA A is (r, in), B is (out, r). */
export function projectionShape(h: ModelHparams, target: ProjectionName): {inDim: number, outDim: number} {
    const q = h.nHead * h.headDim, kv = h.nHeadKv * h.headDim;
    switch (target) {
        case "q": return {inDim: h.nEmbd, outDim: q};
        case "k": case "v": return {inDim: h.nEmbd, outDim: kv};
        case "o": return {inDim: q, outDim: h.nEmbd};
        case "gate": case "up": return {inDim: h.nEmbd, outDim: h.nFf};
        case "down": return {inDim: h.nFf, outDim: h.nEmbd};
    }
}
