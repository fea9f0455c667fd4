import {UsageError} from "../util/prism-error.js";
import {architectures, type ArchitectureSpec, type LoraTargetName} from "./architecture.js";
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
    /** Width of the MLP's hidden layer; for a mixture of experts, the shared expert's (the MLP that LoRA adapts). */
    nFf: number,
    /** The routed experts of a mixture-of-experts FFN, as llama.cpp reads them. */
    moe?: MoeHparams,
    nVocab: number,
    nCtxTrain: number,
    rmsEps: number,
    ropeTheta: number,
    /** Rotated dimensions per head (the whole head unless rope.dimension_count says otherwise). */
    ropeDim: number,
    /** True when there is no output.weight and the token embedding doubles as the output projection. */
    tiedEmbeddings: boolean,
    /** Rope scaling, resolved as llama.cpp resolves it for a context created with default settings. */
    ropeScaling: RopeScaling,
    /**
     * What the file asks for that prism's trainer and gate do not implement (a rope scaling type, a tensor), one
     * sentence each; empty when they can run it. Generation through llama.cpp does not need these.
     */
    unsupported: string[]
};

/**
 * A qwen2moe FFN: `nExpert` experts of width `nFfExp`, `nExpertUsed` of them per token, weighted by the router's
 * softmax probabilities times `weightsScale` (llama.cpp never renormalises the top-k weights for qwen2moe, whatever
 * expert_weights_norm says).
 */
export type MoeHparams = {nExpert: number, nExpertUsed: number, nFfExp: number, weightsScale: number};

/**
 * llama.cpp's rope scaling settings (llama_context's cparams): `freqScale` 1/factor, `extFactor` 1 for YaRN (0
 * otherwise), `attnFactor` the value handed to ggml_rope_ext (which multiplies it by 1 + 0.1·ln(factor) under YaRN),
 * `nCtxOrig` the context length the model was trained at before scaling.
 */
export type RopeScaling = {
    type: "none" | "linear" | "yarn",
    factor: number,
    freqScale: number,
    nCtxOrig: number,
    extFactor: number,
    attnFactor: number,
    betaFast: number,
    betaSlow: number
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
    const nCtxTrain = num("context_length", 2048);
    const unsupported: string[] = [];
    const ropeScaling = readRopeScaling(file, archName, nCtxTrain, unsupported);
    unsupported.push(...unsupportedTensors(file, archName));
    let moe: MoeHparams | undefined, nFf: number;
    if (arch.moe) {
        // llama_model_qwen2moe::load_arch_hparams / load_arch_tensors.
        const nExpert = num("expert_count"), nExpertUsed = num("expert_used_count");
        if (!(nExpert > 0) || !(nExpertUsed > 0) || nExpertUsed > nExpert)
            throw new InvalidModelFileError(file.path, `expert_count ${nExpert} and expert_used_count ${nExpertUsed} do not describe a mixture of experts`);
        const nFfDense = num("feed_forward_length", 0);
        moe = {nExpert, nExpertUsed, nFfExp: num("expert_feed_forward_length", Math.floor(nFfDense / nExpertUsed)), weightsScale: num("expert_weights_scale", 0)};
        nFf = num("expert_shared_feed_forward_length", nFfDense);
    } else {
        nFf = num("feed_forward_length");
    }
    return {
        arch,
        nLayer: num("block_count"),
        nEmbd,
        nHead,
        nHeadKv: num("attention.head_count_kv", nHead),
        headDim,
        nFf,
        moe,
        nVocab,
        nCtxTrain,
        rmsEps: num("attention.layer_norm_rms_epsilon", arch.defaultRmsEps),
        ropeTheta: num("rope.freq_base", arch.defaultRopeTheta),
        ropeDim: num("rope.dimension_count", headDim),
        tiedEmbeddings: file.tensor("output.weight") === undefined,
        ropeScaling,
        unsupported
    };
}

/** The rope scaling of llama.cpp's llama_model::load_hparams and llama_context's constructor, in float32 like them. */
function readRopeScaling(file: GgufFile, archName: string, nCtxTrain: number, unsupported: string[]): RopeScaling {
    const get = (k: string) => file.get<unknown>(`${archName}.${k}`);
    const f32 = Math.fround;
    const typeName = (get("rope.scaling.type") as string | undefined) ?? "linear";
    const type = typeName === "none" || typeName === "linear" || typeName === "yarn" ? typeName : "none";
    if (type !== typeName) unsupported.push(`rope scaling type "${typeName}" (${archName}.rope.scaling.type): the trainer implements none, linear and yarn`);
    const factor = (get("rope.scaling.factor") as number | undefined) ?? (get("rope.scale_linear") as number | undefined) ?? 0;
    const freqScale = type === "none" || factor === 0 ? 1 : f32(1 / factor);
    const extFactor = type === "yarn" ? 1 : 0;
    let attnFactor = 1;
    if (extFactor !== 0) {
        const f = f32(1 / freqScale);
        const mscale = f <= 1 ? 1 : f32(0.1 * Math.log(f) + 1);
        // ggml_rope_ext multiplies by 1 + 0.1·ln(f) itself under YaRN; llama.cpp cancels that here (its PR 17945).
        attnFactor = f32(mscale * f32(1 / f32(1 + 0.1 * Math.log(f))));
    }
    attnFactor = f32(attnFactor * ((get("rope.scaling.attn_factor") as number | undefined) ?? 1));
    const nCtxOrig = (get("rope.scaling.original_context_length") as number | undefined) || nCtxTrain;
    return {type, factor: factor === 0 ? 1 : factor, freqScale, nCtxOrig, extFactor, attnFactor, betaFast: 32, betaSlow: 1};
}

/**
 * Tensor names the trainer's graph reads for llama, qwen2 and qwen2moe (biases on any projection; rope_freqs for
 * llama only; the routed experts, router and shared expert for qwen2moe, without biases, as llama.cpp loads them).
 */
const knownTensor = (archName: string) => (name: string): boolean =>
    /^(token_embd\.weight|output_norm\.weight|output\.(weight|bias))$/.test(name)
    || (archName === "llama" && name === "rope_freqs.weight")
    || /^blk\.\d+\.(attn_norm|ffn_norm)\.weight$/.test(name)
    || /^blk\.\d+\.(attn_q|attn_k|attn_v|attn_output)\.(weight|bias)$/.test(name)
    || (archName === "qwen2moe"
        ? /^blk\.\d+\.(ffn_gate_inp|ffn_(gate|up|down)_exps|ffn_gate_inp_shexp|ffn_(gate|up|down)_shexp)\.weight$/.test(name)
        : /^blk\.\d+\.(ffn_gate|ffn_up|ffn_down)\.(weight|bias)$/.test(name));

function unsupportedTensors(file: GgufFile, archName: string): string[] {
    const known = knownTensor(archName);
    const kinds = new Map<string, string>();
    for (const t of file.tensors) {
        if (known(t.name)) continue;
        const kind = t.name.replace(/^blk\.\d+\./, "blk.N.");
        if (!kinds.has(kind)) kinds.set(kind, t.name);
    }
    return [...kinds.keys()].map((k) => `tensor ${k}: the trainer's ${archName} graph has no use for it`);
}

/** Throws when the trainer or gate cannot run this model exactly as llama.cpp does. */
export function assertTrainerSupports(file: GgufFile, h: ModelHparams): void {
    if (h.unsupported.length === 0) return;
    throw new InvalidModelFileError(file.path, `prism's trainer and gate do not implement what this ${h.arch.name} model needs: ${h.unsupported.join("; ")}`, {
        hint: "generation (prism generate, serve) still works through llama.cpp; training an adapter or a hidden-state gate needs a model without these",
        details: {unsupported: h.unsupported}
    });
}

/**
 * The (in, out) width of a projection in this model: a LoRA A is (r, in), B is (out, r). A routed expert tensor has
 * one pair per expert (nExpert); a model without experts has none (undefined).
 */
export function projectionShape(h: ModelHparams, target: LoraTargetName): {inDim: number, outDim: number, nExpert?: number} {
    const q = h.nHead * h.headDim, kv = h.nHeadKv * h.headDim;
    switch (target) {
        case "gate_exps": case "up_exps": case "down_exps": {
            if (!h.moe) throw new UsageError(`--targets ${target}: this ${h.arch.name} model has no routed experts`, {hint: "adapt gate_exps, up_exps and down_exps only in a mixture of experts (qwen2moe)"});
            const [inDim, outDim] = target === "down_exps" ? [h.moe.nFfExp, h.nEmbd] : [h.nEmbd, h.moe.nFfExp];
            return {inDim, outDim, nExpert: h.moe.nExpert};
        }
        case "q": return {inDim: h.nEmbd, outDim: q};
        case "k": case "v": return {inDim: h.nEmbd, outDim: kv};
        case "o": return {inDim: q, outDim: h.nEmbd};
        case "gate": case "up": return {inDim: h.nEmbd, outDim: h.nFf};
        case "down": return {inDim: h.nFf, outDim: h.nEmbd};
    }
}
