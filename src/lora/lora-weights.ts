import {isExpertTarget, type LoraTargetName} from "../model/architecture.js";
import type {ReferenceLora} from "../model/reference-forward.js";
import {loraScale} from "./lora-config.js";

/**
 * One adapted projection. Layouts follow PEFT (and, bit for bit, llama.cpp's GGUF, whose ne order is reversed):
 * a: (r, C_in) row-major = GGUF lora_a ne [C_in, r]; b: (C_out, r) row-major = GGUF lora_b ne [r, C_out].
 * q/k rows of b are in GGUF (llama.cpp) order here; PEFT import/export converts. A routed expert tensor's module
 * (`nExpert` set) holds one pair per expert: a (E, r, C_in) = GGUF lora_a ne [C_in, r, E]; b (E, C_out, r) = ne [r, C_out, E].
 */
export type LoraModule = {
    layer: number,
    target: LoraTargetName,
    inDim: number,
    outDim: number,
    nExpert?: number,
    a: Float32Array,
    b: Float32Array
};

/** An adapter in memory: what the trainer produces and the formats read and write. */
export type LoraWeights = {
    /** GGUF architecture of the base model. */
    arch: string,
    rank: number,
    /** The effective alpha: llama.cpp scales by alpha / rank. */
    alpha: number,
    modules: LoraModule[],
    /** Fingerprint of the base model the adapter was made for, when known. */
    baseModelFingerprint?: string
};

/** The factor llama.cpp puts on B·A for this adapter at context scale 1: alpha / rank (alpha is already the effective one). */
export function loraWeightsScale(lora: Pick<LoraWeights, "alpha" | "rank">): number {
    return loraScale({alpha: lora.alpha, rank: lora.rank, useRslora: false});
}

/** The adapter as the reference forward takes it; `contextScale` is llama.cpp's per-context adapter scale. Defaults to `1`. */
export function referenceLoraOf(lora: LoraWeights, contextScale = 1): ReferenceLora {
    const modules = lora.modules.map(({target, ...m}) => {
        if (isExpertTarget(target)) throw new Error(`internal: the reference forward has no routed experts to apply ${target} LoRA to`);
        return {...m, target};
    });
    return {scale: contextScale * loraWeightsScale(lora), modules};
}
