import path from "node:path";
import {architectures, loraTargetNames} from "../model/architecture.js";
import {UsageError} from "../util/prism-error.js";
import {readAdapterBase} from "./adapter-base.js";
import {detectAdapterFormat, loadAdapter, saveAdapter, type AdapterFormat} from "./adapter-file.js";
import {loraWeightsScale} from "./lora-weights.js";
import {validateAdapter} from "./validate-adapter.js";

export type ConvertAdapterOptions = {
    /** Output format. Defaults to the other one: GGUF becomes PEFT and PEFT becomes GGUF. */
    to?: AdapterFormat,
    /**
     * Base model (GGUF). The adapter is checked against it; it is required to move a llama adapter's q/k rows when the
     * adapter does not record the head counts (any GGUF adapter, PEFT adapters not exported by prism). Defaults to none.
     */
    model?: string,
    /** Accept a base model whose fingerprint differs from the one the adapter records (e.g. another quantization). Defaults to `false`. */
    allowOtherBase?: boolean,
    /** Storage type of the output matrices. Defaults to `"f32"` (lossless). */
    dtype?: "f32" | "f16",
    /** PEFT's base_model_name_or_path for a PEFT output. Defaults to the input's, when it has one. */
    baseModelName?: string
};

export type ConvertAdapterResult = {
    input: string,
    output: string,
    from: AdapterFormat,
    to: AdapterFormat,
    arch: string,
    rank: number,
    /** The effective alpha (scale · rank), as llama.cpp reads it. */
    alpha: number,
    scale: number,
    modules: number,
    targets: string[],
    layers: number[],
    /** Whether lora_B rows of q/k were reordered between HF's and llama.cpp's layouts. */
    permutedQK: boolean,
    warnings: string[]
};

/** Converts an adapter between llama.cpp's GGUF LoRA and a Hugging Face PEFT directory (or re-encodes it in its own format). */
export async function convertAdapter(input: string, output: string, options: ConvertAdapterOptions = {}): Promise<ConvertAdapterResult> {
    if (path.resolve(input) === path.resolve(output)) throw new UsageError(`the output ${output} is the input; write the converted adapter somewhere else`);
    const from = detectAdapterFormat(input);
    const to = options.to ?? (from === "gguf" ? "peft" : "gguf");
    const base = options.model ? await readAdapterBase(options.model) : undefined;
    const loaded = await loadAdapter(input, {base});
    const warnings = base ? validateAdapter(loaded.lora, base, {adapterPath: input, fingerprint: options.allowOtherBase ? "warn" : "error"}).warnings : [];
    await saveAdapter(output, loaded.lora, {format: to, config: loaded.config, base, baseModelName: options.baseModelName ?? loaded.baseModelName, dtype: options.dtype});
    const {lora} = loaded;
    return {
        input, output, from, to, arch: lora.arch, rank: lora.rank, alpha: lora.alpha, scale: loraWeightsScale(lora), modules: lora.modules.length,
        targets: loraTargetNames.filter((t) => lora.modules.some((m) => m.target === t)),
        layers: [...new Set(lora.modules.map((m) => m.layer))].sort((a, b) => a - b),
        permutedQK: from !== to && architectures[lora.arch]!.permutesQK && lora.modules.some((m) => m.target === "q" || m.target === "k"),
        warnings
    };
}
