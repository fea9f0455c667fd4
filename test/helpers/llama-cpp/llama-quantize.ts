/**
 * llama.cpp's quantizer, `llama_model_quantize` of the libllama node-llama-cpp ships, called through koffi: the
 * K-quants and legacy quants a stand-in file gets are the ones llama.cpp's own `llama-quantize` would write.
 */
import fs from "node:fs";
import path from "node:path";
import koffi from "koffi";
import {locateGgmlLibraries} from "../../../src/ggml/ggml-libraries.js";

/** llama_ftype values of llama.h in the release node-llama-cpp pins. */
const FTYPES = {f16: 1, q4_0: 2, q8_0: 7, q4_k_m: 15, q5_k_m: 17, q6_k: 18, bf16: 32} as const;
export type LlamaCppQuant = keyof typeof FTYPES;

type QuantizeParams = {
    nthread: number, ftype: number, output_tensor_type: number, token_embedding_type: number,
    allow_requantize: boolean, quantize_output_tensor: boolean, only_copy: boolean, pure: boolean, keep_split: boolean, dry_run: boolean,
    imatrix: unknown, kv_overrides: unknown, tt_overrides: unknown, prune_layers: unknown, max_buf_size: number
};
type LibLlama = {
    defaults(): QuantizeParams,
    quantize(input: string, output: string, params: QuantizeParams): number
};
let lib: Promise<LibLlama> | undefined;

async function loadLibLlama(): Promise<LibLlama> {
    const {registry} = await locateGgmlLibraries({gpu: false});
    const dir = path.dirname(registry);
    const file = fs.readdirSync(dir).find((f) => /^libllama(\.v[\d.]+)?\.so$/.test(f));
    if (!file) throw new Error(`no libllama beside ${registry}: reinstall node-llama-cpp (npm ci)`);
    const llama = koffi.load(path.join(dir, file));
    // llama.h: struct llama_model_quantize_params (field order and types as declared there).
    const Params = koffi.struct("prism_llama_model_quantize_params", {
        nthread: "int32_t", ftype: "int32_t", output_tensor_type: "int32_t", token_embedding_type: "int32_t",
        allow_requantize: "bool", quantize_output_tensor: "bool", only_copy: "bool", pure: "bool", keep_split: "bool", dry_run: "bool",
        imatrix: "void *", kv_overrides: "void *", tt_overrides: "void *", prune_layers: "void *", max_buf_size: "size_t"
    });
    const defaults = llama.func("llama_model_quantize_default_params", Params, []);
    const quantize = llama.func("llama_model_quantize", "uint32_t", ["const char *", "const char *", koffi.pointer(Params)]);
    return {defaults: () => defaults() as QuantizeParams, quantize: (i, o, p) => quantize(i, o, p) as number};
}

/** Quantises `input` (an F32/F16 GGUF) to `output` with llama.cpp's own code, as `llama-quantize input output TYPE` does. */
export async function quantizeWithLlamaCpp(input: string, output: string, type: LlamaCppQuant, options: {keepSplit?: boolean, threads?: number} = {}): Promise<void> {
    lib ??= loadLibLlama();
    const {defaults, quantize} = await lib;
    const params = {...defaults(), ftype: FTYPES[type], nthread: options.threads ?? 2, keep_split: options.keepSplit ?? false};
    const status = quantize(input, output, params);
    if (status !== 0 || !fs.existsSync(output)) throw new Error(`llama_model_quantize(${input} → ${type}) failed with status ${status}`);
}
