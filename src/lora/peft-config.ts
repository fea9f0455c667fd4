import fs from "node:fs";
import {z} from "zod";
import {projectionNames, type ProjectionName} from "../model/architecture.js";
import {InvalidModelFileError} from "../model/invalid-model-file-error.js";
import {MissingFileError} from "../util/prism-error.js";
import type {LoraConfig} from "./lora-config.js";
import {peftModuleName, projectionOfPeftModule} from "./peft-tensor-name.js";

/**
 * adapter_config.json, the PEFT side of the one config type: PEFT's names (`r`, `lora_alpha`, `target_modules`)
 * live only here and are mapped to and from LoraConfig's. Reading accepts any field PEFT may add (loose object)
 * and refuses the features an adapter of prism's shape cannot carry (DoRA, trained biases, per-module ranks,
 * fully trained extra modules), each with the field's name.
 */
export const PeftAdapterConfig = z.looseObject({
    peft_type: z.literal("LORA", {error: "prism reads LoRA adapters only (peft_type must be \"LORA\")"}),
    task_type: z.string().nullish(),
    base_model_name_or_path: z.string().nullish(),
    r: z.number().int().positive(),
    lora_alpha: z.number().positive({error: "must be positive: an alpha of 0 makes the adapter a no-op, and llama.cpp reads 0 as scale 1"}),
    lora_dropout: z.number().min(0).max(1).default(0),
    target_modules: z.union([z.array(z.string()), z.string()]).nullish(),
    layers_to_transform: z.union([z.number().int().min(0), z.array(z.number().int().min(0))]).nullish(),
    bias: z.literal("none", {error: "trained biases are not supported (bias must be \"none\")"}).default("none"),
    use_rslora: z.boolean().default(false),
    use_dora: z.literal(false, {error: "DoRA adapters are not supported (use_dora must be false)"}).default(false),
    fan_in_fan_out: z.literal(false, {error: "fan_in_fan_out is for GPT-2 style Conv1D layers, which llama and qwen2 do not have"}).default(false),
    modules_to_save: z.array(z.string()).max(0, {error: "fully trained extra modules cannot be expressed as a LoRA adapter (modules_to_save must be empty)"}).nullish(),
    rank_pattern: z.record(z.string(), z.unknown()).refine((o) => Object.keys(o).length === 0, {error: "per-module ranks are not supported (rank_pattern must be empty)"}).nullish(),
    alpha_pattern: z.record(z.string(), z.unknown()).refine((o) => Object.keys(o).length === 0, {error: "per-module alphas are not supported (alpha_pattern must be empty)"}).nullish()
});
export type PeftAdapterConfig = z.output<typeof PeftAdapterConfig>;

/** Parses adapter_config.json's content; errors name the file and the field. */
export function parsePeftAdapterConfig(json: unknown, filePath: string): PeftAdapterConfig {
    const parsed = PeftAdapterConfig.safeParse(json);
    if (parsed.success) return parsed.data;
    const issue = parsed.error.issues[0]!;
    const field = issue.path.join(".") || "(root)";
    const got = issue.path.reduce<unknown>((o, k) => (o as Record<PropertyKey, unknown> | undefined)?.[k as PropertyKey], json);
    throw new InvalidModelFileError(filePath, `field ${field}: ${issue.message} (got ${JSON.stringify(got)})`, {
        hint: "prism reads PEFT LoRA adapters of the attention and MLP projections (q, k, v, o, gate, up, down)",
        details: {field}
    });
}

/**
 * What PEFT's LoraConfig.save_pretrained writes for an adapter of this shape. Only fields that PEFT has known since
 * 0.9 are written: older PEFT versions reject unknown keys, and every newer field defaults to what prism means.
 */
export function toPeftAdapterConfig(c: {rank: number, alpha: number, dropout: number, useRslora: boolean, targets: readonly ProjectionName[], layers: readonly number[] | "all", baseModelName?: string,
    /** The model's architecture, which names a mixture of experts' MLP modules. Defaults to `"llama"`. */ arch?: string}): Record<string, unknown> {
    return {
        alpha_pattern: {},
        auto_mapping: null,
        base_model_name_or_path: c.baseModelName ?? null,
        bias: "none",
        fan_in_fan_out: false,
        inference_mode: true,
        init_lora_weights: true,
        layers_pattern: null,
        layers_to_transform: c.layers === "all" ? null : [...c.layers],
        loftq_config: {},
        lora_alpha: c.alpha,
        lora_dropout: c.dropout,
        megatron_config: null,
        megatron_core: "megatron.core",
        modules_to_save: null,
        peft_type: "LORA",
        r: c.rank,
        rank_pattern: {},
        revision: null,
        target_modules: projectionNames.filter((p) => c.targets.includes(p)).map((p) => peftModuleName(p, c.arch)),
        task_type: "CAUSAL_LM",
        use_dora: false,
        use_rslora: c.useRslora
    };
}

/** prism's LoraConfig for a parsed adapter_config.json (targets as listed; the tensors decide what is really there). */
export function fromPeftAdapterConfig(p: PeftAdapterConfig, filePath: string): LoraConfig {
    const listed = typeof p.target_modules === "string" || !p.target_modules ? [] : p.target_modules;
    const unknown = listed.filter((m) => !projectionOfPeftModule(m));
    if (unknown.length > 0)
        throw new InvalidModelFileError(filePath, `field target_modules: ${unknown.join(", ")} ${unknown.length === 1 ? "is not a projection" : "are not projections"} prism can adapt`, {
            hint: `prism adapts ${projectionNames.map((p) => peftModuleName(p)).join(", ")} (shared_expert.gate_proj, … in a mixture of experts)`,
            details: {field: "target_modules"}
        });
    const targets = listed.length > 0 ? projectionNames.filter((t) => listed.some((m) => projectionOfPeftModule(m) === t)) : [...projectionNames];
    const layers = p.layers_to_transform === null || p.layers_to_transform === undefined ? "all" as const
        : [...new Set(Array.isArray(p.layers_to_transform) ? p.layers_to_transform : [p.layers_to_transform])].sort((a, b) => a - b);
    return {rank: p.r, alpha: p.lora_alpha, dropout: p.lora_dropout, targets: targets as LoraConfig["targets"], layers, useRslora: p.use_rslora};
}

/** Reads and checks an adapter_config.json: PEFT's fields as written, and prism's LoraConfig from them. */
export function readPeftAdapterConfig(configPath: string): {peft: PeftAdapterConfig, config: LoraConfig} {
    let text: string;
    try {
        text = fs.readFileSync(configPath, "utf8");
    } catch {
        throw new MissingFileError(configPath, "PEFT adapter config", {hint: "a PEFT adapter directory holds adapter_config.json and adapter_model.safetensors"});
    }
    let json: unknown;
    try {
        json = JSON.parse(text);
    } catch (err) {
        throw new InvalidModelFileError(configPath, `not valid JSON (${(err as Error).message})`, {hint: "restore the adapter_config.json that PEFT wrote"});
    }
    const peft = parsePeftAdapterConfig(json, configPath);
    return {peft, config: fromPeftAdapterConfig(peft, configPath)};
}
