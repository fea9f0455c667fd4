import fs from "node:fs";
import path from "node:path";
import {InvalidModelFileError} from "../model/invalid-model-file-error.js";
import {MissingFileError, UsageError} from "../util/prism-error.js";
import type {AdapterBase} from "./adapter-base.js";
import {readGgufLora, writeGgufLora} from "./gguf-lora.js";
import type {LoraConfig} from "./lora-config.js";
import type {LoraWeights} from "./lora-weights.js";
import {PEFT_WEIGHTS_FILE, readPeftAdapter, writePeftAdapter} from "./peft-adapter.js";

/** "gguf": one llama.cpp LoRA file. "peft": a Hugging Face PEFT directory (adapter_config.json + adapter_model.safetensors). */
export type AdapterFormat = "gguf" | "peft";
export const adapterFormats: readonly AdapterFormat[] = ["gguf", "peft"];

/** A directory is a PEFT adapter, a file a GGUF one; a bare .safetensors file gets a pointer to its directory. */
export function detectAdapterFormat(adapterPath: string): AdapterFormat {
    let stat: fs.Stats;
    try {
        stat = fs.statSync(adapterPath);
    } catch {
        throw new MissingFileError(adapterPath, "adapter");
    }
    if (stat.isDirectory()) return "peft";
    if (adapterPath.endsWith(".safetensors"))
        throw new InvalidModelFileError(adapterPath, "is the weights file of a PEFT adapter", {hint: `pass the directory that holds it (${path.dirname(adapterPath)})`});
    return "gguf";
}

export type LoadAdapterOptions = {
    /** The base model: PEFT adapters not written by prism need it (architecture, llama's head counts), and the adapter is checked against it. Defaults to none. */
    base?: AdapterBase
};

export type LoadedAdapter = {
    format: AdapterFormat,
    lora: LoraWeights,
    /** The training hyper-parameters, when the format records them (PEFT does; GGUF keeps only the effective alpha). */
    config?: LoraConfig,
    /** PEFT's base_model_name_or_path, when recorded. */
    baseModelName?: string
};

/** Reads an adapter in either format into prism's in-memory (GGUF-layout) adapter. */
export async function loadAdapter(adapterPath: string, options: LoadAdapterOptions = {}): Promise<LoadedAdapter> {
    if (detectAdapterFormat(adapterPath) === "peft") return {format: "peft", ...await readPeftAdapter(adapterPath, {base: options.base})};
    return {format: "gguf", lora: await readGgufLora(adapterPath)};
}

export type SaveAdapterOptions = {
    format: AdapterFormat,
    /** Training hyper-parameters to record in a PEFT config (see writePeftAdapter). Defaults to the adapter's effective alpha, no rsLoRA. */
    config?: Pick<LoraConfig, "rank" | "alpha" | "dropout" | "useRslora">,
    /** The base model; a llama adapter with q/k modules needs it for PEFT. Defaults to none. */
    base?: AdapterBase,
    /** PEFT's base_model_name_or_path. Defaults to `null`. */
    baseModelName?: string,
    /** Storage type of the matrices. Defaults to `"f32"` (lossless). */
    dtype?: "f32" | "f16",
    /** GGUF general.name. Defaults to `"prism-lora"`. */
    name?: string
};

/** Writes an adapter as a GGUF file or a PEFT directory (atomically, file by file). */
export async function saveAdapter(outPath: string, lora: LoraWeights, options: SaveAdapterOptions): Promise<void> {
    const existing = fs.existsSync(outPath) ? fs.statSync(outPath) : undefined;
    if (options.format === "gguf") {
        if (existing?.isDirectory()) throw new UsageError(`${outPath} is a directory; a GGUF adapter is one file`, {hint: "give a file path such as adapter.gguf, or --to peft for a PEFT directory"});
        await writeGgufLora(outPath, lora, {name: options.name, type: options.dtype ?? "f32"});
        return;
    }
    if (existing && !existing.isDirectory()) throw new UsageError(`${outPath} is a file; a PEFT adapter is a directory`, {hint: `give a directory path; it will hold adapter_config.json and ${PEFT_WEIGHTS_FILE}`});
    await writePeftAdapter(outPath, lora, {config: options.config, base: options.base, baseModelName: options.baseModelName, dtype: options.dtype === "f16" ? "F16" : "F32"});
}
