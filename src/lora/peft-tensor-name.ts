import {architectures, hfProjectionPath, isExpertTarget, projectionNames, projectionOfName, type LoraTargetName, type ProjectionName} from "../model/architecture.js";

/**
 * PEFT's tensor names for a LoRA on a causal LM, built from the one projection table in architecture.ts (prism's
 * short name ↔ GGUF name ↔ HF module path), in both directions:
 *     base_model.model.model.layers.{i}.self_attn.q_proj.lora_A.weight  ↔  (layer i, "q", "A")
 */
export function peftTensorName(layer: number, target: LoraTargetName, which: "A" | "B", arch = "llama"): string {
    if (isExpertTarget(target)) throw new Error(`internal: routed experts (${target}) have no PEFT tensor name in prism; writePeftAdapter refuses them`);
    return `base_model.model.model.layers.${layer}.${hfProjectionPath(arch, target)}.lora_${which}.weight`;
}

/**
 * The HF module name PEFT lists in target_modules ("q_proj", "gate_proj", …). A mixture of experts' MLP projections
 * are "shared_expert.gate_proj": PEFT matches by suffix, and a bare "gate_proj" would adapt every routed expert too.
 */
export function peftModuleName(target: ProjectionName, arch = "llama"): string {
    const path = hfProjectionPath(arch, target).split(".");
    return path.slice(architectures[arch]?.moe && path.length > 2 ? -2 : -1).join(".");
}

const targetByModuleName = new Map(projectionNames.flatMap((p) => [[peftModuleName(p), p], [peftModuleName(p, "qwen2moe"), p]] as const));
const namePattern = /^base_model\.model\.model\.layers\.(\d+)\.(\w+(?:\.\w+)+)\.lora_(A|B)\.weight$/;

/** The projection a PEFT tensor belongs to, or undefined when the name is not a LoRA matrix of a known projection. */
export function parsePeftTensorName(name: string): {layer: number, target: ProjectionName, which: "A" | "B"} | undefined {
    const m = namePattern.exec(name);
    const target = m ? projectionOfName(m[2]!) : undefined; // HF paths have a dot, GGUF stems never
    return m && target ? {layer: Number(m[1]), target, which: m[3] as "A" | "B"} : undefined;
}

/** The projection of a target_modules entry ("q_proj" → "q"), or undefined for modules prism does not adapt. */
export function projectionOfPeftModule(moduleName: string): ProjectionName | undefined {
    return targetByModuleName.get(moduleName);
}
