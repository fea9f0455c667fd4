import fs from "node:fs";
import path from "node:path";
import {architectures, isExpertTarget, loraTargetNames, projectionNames, projections, type ProjectionName} from "../model/architecture.js";
import {InvalidModelFileError} from "../model/invalid-model-file-error.js";
import {permuteQkRows, type QkLayout} from "../model/qk-permutation.js";
import {writeJsonAtomic} from "../util/atomic-write.js";
import {MissingFileError, UsageError} from "../util/prism-error.js";
import type {AdapterBase} from "./adapter-base.js";
import {ggufEffectiveAlpha, loraScale, type LoraConfig} from "./lora-config.js";
import {loraWeightsScale, type LoraModule, type LoraWeights} from "./lora-weights.js";
import {readPeftAdapterConfig, toPeftAdapterConfig} from "./peft-config.js";
import {parsePeftTensorName, peftModuleName, peftTensorName} from "./peft-tensor-name.js";
import {readSafetensors, writeSafetensors} from "./safetensors.js";
import {validateAdapter} from "./validate-adapter.js";

/** The fixed file names of a PEFT adapter directory (PEFT, vLLM and llama.cpp's converter look for exactly these). */
export const PEFT_CONFIG_FILE = "adapter_config.json";
export const PEFT_WEIGHTS_FILE = "adapter_model.safetensors";

/** Keys prism adds to the safetensors `__metadata__` (which PEFT and vLLM ignore), so its own exports re-import without the base model. */
export const peftMetadataKeys = {arch: "prism.arch", nHead: "prism.head_count", nHeadKv: "prism.head_count_kv", fingerprint: "prism.base_model.fingerprint"} as const;

export type WritePeftAdapterOptions = {
    /**
     * The hyper-parameters the adapter was trained with, recorded as PEFT's lora_alpha, use_rslora and lora_dropout;
     * their scale must be the adapter's (alpha / rank of the LoraWeights). Defaults to lora_alpha = the adapter's
     * effective alpha, no rsLoRA, dropout 0.
     */
    config?: Pick<LoraConfig, "rank" | "alpha" | "dropout" | "useRslora">,
    /**
     * The base model. Needed to un-permute the q/k rows of a llama adapter (their head counts); checked against the
     * adapter, and recorded so the export re-imports without it. Defaults to none.
     */
    base?: AdapterBase,
    /** Written as base_model_name_or_path (a Hugging Face id or path). Defaults to `null`. */
    baseModelName?: string,
    /** Storage type of the matrices: F16 halves the file; F32 is lossless. Defaults to `"F16"`. */
    dtype?: "F32" | "F16"
};

/**
 * Writes `dir/adapter_config.json` and `dir/adapter_model.safetensors` as Hugging Face PEFT does: tensor names
 * base_model.model.model.layers.{i}.{self_attn|mlp}.{x}_proj.lora_{A|B}.weight, A (r, C_in), B (C_out, r), q/k rows
 * of B in HF's rotate-half order. Each file is written atomically, the weights first, so
 * an interrupted first export leaves no adapter_config.json (an incomplete adapter, not a wrong one).
 */
export async function writePeftAdapter(dir: string, lora: LoraWeights, options: WritePeftAdapterOptions = {}): Promise<void> {
    const experts = lora.modules.filter((m) => m.nExpert !== undefined || isExpertTarget(m.target));
    if (experts.length > 0)
        throw new UsageError(`PEFT export: the adapter adapts routed experts (${[...new Set(experts.map((m) => m.target))].join(", ")}), which prism does not write in PEFT's layout`, {
            hint: "use the GGUF adapter (llama.cpp loads expert LoRA from it), or train without gate_exps, up_exps, down_exps for a PEFT export"
        });
    const c = options.config ?? {rank: lora.rank, alpha: lora.alpha, dropout: 0, useRslora: false};
    const scale = loraWeightsScale(lora);
    if (c.rank !== lora.rank || Math.abs(loraScale(c) - scale) > 1e-6 * scale)
        throw new UsageError(`PEFT export: the config (rank ${c.rank}, alpha ${c.alpha}${c.useRslora ? ", rsLoRA" : ""}, scale ${loraScale(c)}) does not give the adapter's scale (rank ${lora.rank}, effective alpha ${lora.alpha}, scale ${scale})`);
    if (options.base) validateAdapter(lora, options.base, {fingerprint: "warn"});
    const heads = options.base ? {nHead: options.base.hparams.nHead, nHeadKv: options.base.hparams.nHeadKv} : undefined;

    const tensors = new Map<string, {shape: number[], data: Float32Array}>();
    for (const m of lora.modules) {
        if (m.a.length !== lora.rank * m.inDim || m.b.length !== m.outDim * lora.rank)
            throw new UsageError(`PEFT export: module ${m.layer}.${m.target} is not rank ${lora.rank} (A ${m.a.length} values for C_in ${m.inDim}, B ${m.b.length} for C_out ${m.outDim}); PEFT adapters have one rank`);
        tensors.set(peftTensorName(m.layer, m.target, "A", lora.arch), {shape: [lora.rank, m.inDim], data: m.a});
        tensors.set(peftTensorName(m.layer, m.target, "B", lora.arch), {shape: [m.outDim, lora.rank], data: qkRowsTo("hf", lora.arch, m, lora.rank, heads, dir)});
    }
    const layers = [...new Set(lora.modules.map((m) => m.layer))].sort((a, b) => a - b);
    const allLayers = options.base !== undefined && layers.length === options.base.hparams.nLayer;
    const targets = projectionNames.filter((p) => lora.modules.some((m) => m.target === p));
    const metadata: Record<string, string> = {format: "pt", [peftMetadataKeys.arch]: lora.arch};
    if (heads) Object.assign(metadata, {[peftMetadataKeys.nHead]: String(heads.nHead), [peftMetadataKeys.nHeadKv]: String(heads.nHeadKv)});
    if (lora.baseModelFingerprint) metadata[peftMetadataKeys.fingerprint] = lora.baseModelFingerprint;

    await writeSafetensors(path.join(dir, PEFT_WEIGHTS_FILE), tensors, {dtype: options.dtype ?? "F16", metadata});
    await writeJsonAtomic(path.join(dir, PEFT_CONFIG_FILE), toPeftAdapterConfig({
        rank: c.rank, alpha: c.alpha, dropout: c.dropout, useRslora: c.useRslora, targets, layers: allLayers ? "all" : layers, baseModelName: options.baseModelName, arch: lora.arch
    }));
}

export type ReadPeftAdapterOptions = {
    /**
     * The base model: gives the architecture and head counts that adapters not written by prism lack (needed to
     * permute llama's q/k rows into llama.cpp's order), and the adapter is checked against it. Defaults to none.
     */
    base?: AdapterBase
};

export type ReadPeftAdapterResult = {
    /** In prism's (GGUF) layout, alpha as llama.cpp scales it. */
    lora: LoraWeights,
    /** The hyper-parameters adapter_config.json records, in prism's names. */
    config: LoraConfig,
    /** base_model_name_or_path, when recorded. */
    baseModelName?: string
};

/** Reads a PEFT LoRA adapter directory (F32, F16 or BF16 safetensors) into prism's in-memory adapter. */
export async function readPeftAdapter(dir: string, options: ReadPeftAdapterOptions = {}): Promise<ReadPeftAdapterResult> {
    const configPath = path.join(dir, PEFT_CONFIG_FILE), weightsPath = path.join(dir, PEFT_WEIGHTS_FILE);
    if (!fs.existsSync(dir)) throw new MissingFileError(dir, "PEFT adapter directory");
    if (!fs.statSync(dir).isDirectory()) throw new InvalidModelFileError(dir, "is a file, not a PEFT adapter directory", {hint: `a PEFT adapter is a directory holding ${PEFT_CONFIG_FILE} and ${PEFT_WEIGHTS_FILE}`});
    if (!fs.existsSync(weightsPath)) {
        const hint = fs.existsSync(path.join(dir, "adapter_model.bin"))
            ? "prism does not read pickled adapter_model.bin; save the adapter with safe_serialization=True"
            : `a PEFT adapter directory holds ${PEFT_CONFIG_FILE} and ${PEFT_WEIGHTS_FILE}`;
        throw new MissingFileError(weightsPath, "PEFT adapter weights", {hint});
    }
    const {peft, config} = readPeftAdapterConfig(configPath);
    const {tensors, metadata} = readSafetensors(weightsPath);

    const bad = (reason: string, hint?: string) => new InvalidModelFileError(weightsPath, reason, hint ? {hint} : {});
    const pairs = new Map<string, {layer: number, target: ProjectionName, A?: {shape: number[], data: Float32Array}, B?: {shape: number[], data: Float32Array}}>();
    for (const [name, t] of tensors) {
        const parsed = parsePeftTensorName(name);
        if (!parsed)
            throw bad(`unexpected tensor ${name}: not the lora_A or lora_B matrix of a q, k, v, o, gate, up or down projection`,
                "prism reads LoRA adapters of the attention and MLP projections only (no embeddings, lm_head, biases or modules_to_save)");
        if (t.shape.length !== 2) throw bad(`tensor ${name} has shape [${t.shape.join(", ")}]; LoRA matrices are 2-D`);
        if (!config.targets.includes(parsed.target))
            throw bad(`tensor ${name} adapts ${peftModuleName(parsed.target)}, which ${PEFT_CONFIG_FILE}'s target_modules does not list`, "the config and the weights come from different adapters");
        if (Array.isArray(config.layers) && !config.layers.includes(parsed.layer))
            throw bad(`tensor ${name} is in layer ${parsed.layer}, which ${PEFT_CONFIG_FILE}'s layers_to_transform does not list`, "the config and the weights come from different adapters");
        const key = `${parsed.layer}.${parsed.target}`;
        const entry = pairs.get(key) ?? {layer: parsed.layer, target: parsed.target};
        entry[parsed.which] = t;
        pairs.set(key, entry);
    }

    const arch = resolveArch(metadata[peftMetadataKeys.arch], options.base, weightsPath);
    const heads = options.base ? {nHead: options.base.hparams.nHead, nHeadKv: options.base.hparams.nHeadKv}
        : metadata[peftMetadataKeys.nHead] && metadata[peftMetadataKeys.nHeadKv] ? {nHead: Number(metadata[peftMetadataKeys.nHead]), nHeadKv: Number(metadata[peftMetadataKeys.nHeadKv])} : undefined;
    const modules: LoraModule[] = [];
    for (const p of pairs.values()) {
        const which = p.A ? "B" : "A";
        if (!p.A || !p.B) throw bad(`${peftTensorName(p.layer, p.target, which)} is missing (its lora_${which === "A" ? "B" : "A"} partner is there)`);
        const [rA, inDim] = p.A.shape as [number, number], [outDim, rB] = p.B.shape as [number, number];
        if (rA !== config.rank || rB !== config.rank)
            throw bad(`rank mismatch: ${peftTensorName(p.layer, p.target, rA !== config.rank ? "A" : "B")} has rank ${rA !== config.rank ? rA : rB} but ${PEFT_CONFIG_FILE} says r = ${config.rank}`,
                "the config and the weights come from different adapters");
        modules.push({layer: p.layer, target: p.target, inDim, outDim, a: p.A.data, b: p.B.data});
    }
    modules.sort((x, y) => x.layer - y.layer || loraTargetNames.indexOf(x.target) - loraTargetNames.indexOf(y.target));

    const hfLayout: LoraWeights = {arch, rank: config.rank, alpha: ggufEffectiveAlpha(config), modules, baseModelFingerprint: metadata[peftMetadataKeys.fingerprint]};
    if (options.base) validateAdapter(hfLayout, options.base, {adapterPath: dir, fingerprint: "warn"});
    const lora = {...hfLayout, modules: modules.map((m) => ({...m, b: qkRowsTo("gguf", arch, m, config.rank, heads, weightsPath)}))};
    return {lora, config: {...config, targets: projectionNames.filter((t) => modules.some((m) => m.target === t)) as LoraConfig["targets"]}, baseModelName: peft.base_model_name_or_path ?? undefined};
}

/** The architecture of a PEFT adapter: recorded by prism, or the base model's; they must agree when both are known. */
function resolveArch(recorded: string | undefined, base: AdapterBase | undefined, weightsPath: string): string {
    const fromBase = base?.hparams.arch.name;
    if (recorded && fromBase && recorded !== fromBase)
        throw new InvalidModelFileError(weightsPath, `the adapter was exported from a ${recorded} model, but the base model ${base!.path} is ${fromBase}`, {hint: "pass the base model the adapter was made for"});
    const arch = recorded ?? fromBase;
    if (!arch)
        throw new UsageError(`${path.dirname(weightsPath)}: a PEFT adapter does not say which architecture it is for; pass its base model (--model BASE.gguf)`, {
            hint: "the base model gives the architecture and, for llama, the head counts that order the q/k rows"
        });
    if (!architectures[arch]) throw new InvalidModelFileError(weightsPath, `architecture ${arch} is not supported`, {hint: `supported: ${Object.keys(architectures).join(", ")}`});
    return arch;
}

/**
 * lora_B of q and k with its rows in the other layout (see qk-permutation.ts); other modules, and architectures whose
 * converter does not permute, pass through unchanged. `where` names the adapter in errors.
 */
function qkRowsTo(to: QkLayout, arch: string, m: Pick<LoraModule, "layer" | "target" | "outDim" | "b">, rank: number, heads: {nHead: number, nHeadKv: number} | undefined, where: string): Float32Array {
    if ((m.target !== "q" && m.target !== "k") || !architectures[arch]?.permutesQK) return m.b;
    if (!heads)
        throw new UsageError(`${where}: the ${projections[m.target].hf} rows of a ${arch} adapter are ordered by attention head, and the head counts are unknown; pass the base model (--model BASE.gguf)`);
    const nHeads = m.target === "q" ? heads.nHead : heads.nHeadKv;
    if (m.outDim % (2 * nHeads) !== 0)
        throw new InvalidModelFileError(where, `${projections[m.target].hf} of layer ${m.layer} has ${m.outDim} rows, which is not ${nHeads} heads of an even size`, {hint: "pass the base model the adapter was made for"});
    return permuteQkRows(m.b, nHeads, rank, to);
}
