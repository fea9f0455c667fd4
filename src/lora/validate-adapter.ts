import {ggufTargetName, isExpertTarget} from "../model/architecture.js";
import {InvalidModelFileError} from "../model/invalid-model-file-error.js";
import {projectionShape} from "../model/model-hparams.js";
import type {AdapterBase} from "./adapter-base.js";
import type {LoraWeights} from "./lora-weights.js";

export type ValidateAdapterOptions = {
    /** Where the adapter came from, for messages. Defaults to `"adapter"`. */
    adapterPath?: string,
    /**
     * What a recorded base-model fingerprint that differs from the model's does: `"error"`, or `"warn"` for the same
     * weights in another file (another quantization of the model the adapter was trained on). Defaults to `"error"`.
     */
    fingerprint?: "error" | "warn"
};

export type ValidateAdapterResult = {warnings: string[]};

/**
 * Checks that an adapter fits a base model: same architecture, every module on an existing block with the
 * projection's exact (in, out) widths and its declared rank, and the base-model fingerprint when one is recorded.
 * The error names the first bad tensor in the adapter's own GGUF naming.
 */
export function validateAdapter(lora: LoraWeights, base: AdapterBase, options: ValidateAdapterOptions = {}): ValidateAdapterResult {
    const where = options.adapterPath ?? "adapter";
    const h = base.hparams;
    const hint = `the adapter was made for another model; pass the base model it was trained on (${base.path} is ${h.arch.name}, ${h.nLayer} layers, width ${h.nEmbd})`;
    if (lora.arch !== h.arch.name)
        throw new InvalidModelFileError(where, `adapter architecture ${lora.arch} does not match the base model's (${h.arch.name}, ${base.path})`, {hint});
    for (const m of lora.modules) {
        const gguf = ggufTargetName(h.arch.name, m.target);
        const tensor = `blk.${m.layer}.${gguf}.weight.lora_a/lora_b`;
        if (m.layer >= h.nLayer)
            throw new InvalidModelFileError(where, `${tensor}: block ${m.layer} does not exist in the base model (${h.nLayer} blocks)`, {hint});
        if ((m.nExpert !== undefined) !== (h.moe !== undefined && isExpertTarget(m.target)))
            throw new InvalidModelFileError(where, `${tensor}: ${m.nExpert !== undefined ? "an expert LoRA" : "a 2-D LoRA"} does not fit the base model's ${gguf}`, {hint});
        const want = projectionShape(h, m.target);
        const experts = m.nExpert ?? 1;
        const rank = m.a.length / (m.inDim * experts);
        if (m.inDim !== want.inDim || m.outDim !== want.outDim || m.nExpert !== want.nExpert)
            throw new InvalidModelFileError(where, `${tensor}: the adapter maps ${m.inDim} → ${m.outDim}${m.nExpert ? ` for ${m.nExpert} experts` : ""} but the base model's ${gguf} maps ${want.inDim} → ${want.outDim}${want.nExpert ? ` for ${want.nExpert} experts` : ""}`, {hint});
        if (rank !== lora.rank || m.b.length !== m.outDim * lora.rank * experts)
            throw new InvalidModelFileError(where, `${tensor}: rank ${rank} (A ${m.a.length} values, B ${m.b.length}) does not match the adapter's rank ${lora.rank}`);
    }
    const warnings: string[] = [];
    if (lora.baseModelFingerprint && lora.baseModelFingerprint !== base.fingerprint) {
        const message = `the adapter records base model ${lora.baseModelFingerprint}, but ${base.path} is ${base.fingerprint}`;
        if (options.fingerprint !== "warn")
            throw new InvalidModelFileError(where, message, {hint: "pass the model the adapter was trained on; if this is the same model in another quantization, allow it explicitly (--allow-other-base)"});
        warnings.push(message);
    }
    return {warnings};
}
