import {projectionNames, projections, type ProjectionName} from "../model/architecture.js";

/**
 * PEFT's tensor names for a LoRA on a causal LM, built from the one projection table in architecture.ts (prism's
 * short name ↔ GGUF name ↔ HF module path), in both directions:
 *     base_model.model.model.layers.{i}.self_attn.q_proj.lora_A.weight  ↔  (layer i, "q", "A")
 */
export function peftTensorName(layer: number, target: ProjectionName, which: "A" | "B"): string {
    return `base_model.model.model.layers.${layer}.${projections[target].hf}.lora_${which}.weight`;
}

/** The HF module name PEFT lists in target_modules ("q_proj", "gate_proj", …). */
export function peftModuleName(target: ProjectionName): string {
    return projections[target].hf.split(".").at(-1)!;
}

const targetByHfPath = new Map(projectionNames.map((p) => [projections[p].hf as string, p]));
const targetByModuleName = new Map(projectionNames.map((p) => [peftModuleName(p), p]));
const namePattern = /^base_model\.model\.model\.layers\.(\d+)\.(\w+\.\w+)\.lora_(A|B)\.weight$/;

/** The projection a PEFT tensor belongs to, or undefined when the name is not a LoRA matrix of a known projection. */
export function parsePeftTensorName(name: string): {layer: number, target: ProjectionName, which: "A" | "B"} | undefined {
    const m = namePattern.exec(name);
    const target = m ? targetByHfPath.get(m[2]!) : undefined;
    return m && target ? {layer: Number(m[1]), target, which: m[3] as "A" | "B"} : undefined;
}

/** The projection of a target_modules entry ("q_proj" → "q"), or undefined for modules prism does not adapt. */
export function projectionOfPeftModule(moduleName: string): ProjectionName | undefined {
    return targetByModuleName.get(moduleName);
}
