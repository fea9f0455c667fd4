import {z} from "zod";
import {loraTargetNames, projectionNames, type LoraTargetName} from "../model/architecture.js";
import {parseConfig} from "../util/parse-config.js";
import {UsageError} from "../util/prism-error.js";

/**
 * LoRA hyper-parameters, in prism's own names (PEFT's `r`, `lora_alpha`, `target_modules` appear only where
 * adapter_config.json is read or written). Defaults are the PRISM paper's: rank 16, alpha 32, all seven
 * projections, dropout 0.05, every layer but the first (so block 0's output, which the gate reads, never changes).
 */
export const LoraConfig = z.object({
    /** LoRA rank r. Defaults to `16`. */
    rank: z.number().int().positive().default(16),
    /** Scale numerator: the update is (alpha / rank) · B·A, or alpha / sqrt(rank) with rsLoRA. Defaults to `32`. */
    alpha: z.number().positive().default(32),
    /** Dropout on the adapter's input during training. Defaults to `0.05`. */
    dropout: z.number().min(0).max(1).default(0.05),
    /** Projections to adapt; a mixture of experts' routed expert tensors (gate_exps, up_exps, down_exps) only when listed. Defaults to the seven projections. */
    targets: z.array(z.enum(loraTargetNames as [LoraTargetName, ...LoraTargetName[]])).nonempty().default([...projectionNames] as [LoraTargetName, ...LoraTargetName[]]),
    /** Layers to adapt; `"all"`, `"all-but-first"` (block 0 itself in a one-block model) or explicit indices. Defaults to `"all-but-first"`. */
    layers: z.union([z.literal("all"), z.literal("all-but-first"), z.array(z.number().int().min(0))]).default("all-but-first"),
    /** rsLoRA scaling (alpha / sqrt(rank)). Defaults to `false`. */
    useRslora: z.boolean().default(false)
}).strict();
export type LoraConfig = z.output<typeof LoraConfig>;
export type LoraConfigInput = z.input<typeof LoraConfig>;

/** Parses and completes a config; an error names the field and the value it got. */
export function resolveLoraConfig(input: LoraConfigInput = {}): LoraConfig {
    return parseConfig(LoraConfig, input, "LoRA config");
}

/** The one place the adapter scale is computed. */
export function loraScale(c: Pick<LoraConfig, "alpha" | "rank" | "useRslora">): number {
    return c.useRslora ? c.alpha / Math.sqrt(c.rank) : c.alpha / c.rank;
}

/** The alpha to store in a GGUF adapter: llama.cpp always divides by rank, so rsLoRA's alpha is rescaled; never 0. */
export function ggufEffectiveAlpha(c: Pick<LoraConfig, "alpha" | "rank" | "useRslora">): number {
    return loraScale(c) * c.rank;
}

/** The layer indices a config adapts in a model of `nLayer` blocks. */
export function loraLayers(c: Pick<LoraConfig, "layers">, nLayer: number): number[] {
    if (c.layers === "all") return Array.from({length: nLayer}, (_, i) => i);
    // A one-block model has no block but the first: adapting it beats refusing (the gate's features come from the base model's weights either way).
    if (c.layers === "all-but-first") return nLayer === 1 ? [0] : Array.from({length: Math.max(0, nLayer - 1)}, (_, i) => i + 1);
    const bad = c.layers.filter((l) => l >= nLayer);
    if (bad.length > 0) throw new UsageError(`LoRA config: layers ${bad.join(", ")} do not exist in a model of ${nLayer} blocks`);
    return [...new Set(c.layers)].sort((a, b) => a - b);
}
