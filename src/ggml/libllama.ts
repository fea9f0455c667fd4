/**
 * The slice of libllama (the llama.cpp node-llama-cpp ships) that full-parameter training needs, through koffi:
 * loading a model with writable weights, a context, tokenizing, llama.cpp's own optimiser (`llama_opt_init`,
 * `llama_opt_epoch`, the ggml-opt dataset and result) and saving. C names, C argument order; the structs
 * are spelled field by field from llama.h / ggml-opt.h of the pinned release, so koffi lays them out as the compiler
 * does, and `bindLibLlama` checks the sizes gcc gives them before anything is called.
 */
import fs from "node:fs";
import path from "node:path";
import koffi from "koffi";
import {ResourceError} from "../util/prism-error.js";
import {GGML_ABI, GgmlAbiError} from "./ggml-abi.js";
import {locateGgmlLibraries} from "./ggml-libraries.js";
import type {RawTensor} from "./raw.js";

export type LlamaModelPtr = {readonly __brand: "llama_model*"};
export type LlamaContextPtr = {readonly __brand: "llama_context*"};
export type LlamaVocabPtr = {readonly __brand: "llama_vocab*"};
export type OptDatasetPtr = {readonly __brand: "ggml_opt_dataset_t"};
export type OptResultPtr = {readonly __brand: "ggml_opt_result_t"};

/** llama.h `struct llama_model_params` (the fields prism sets; the rest keep llama_model_default_params()). */
export type LlamaModelParams = {n_gpu_layers: number, load_mode: number, [field: string]: unknown};
/** llama.h `struct llama_context_params` (the fields prism sets). */
export type LlamaContextParams = {
    n_ctx: number, n_batch: number, n_ubatch: number, n_seq_max: number, n_threads: number, n_threads_batch: number,
    flash_attn_type: number, type_k: number, type_v: number, [field: string]: unknown
};
/** ggml-opt.h `struct ggml_opt_optimizer_params`. */
export type OptimizerParams = {adamw: {alpha: number, beta1: number, beta2: number, eps: number, wd: number}, sgd: {alpha: number, wd: number}};

/** llama.h enum values passed as numbers. */
export const LLAMA = {
    loadModeNone: 0,
    flashAttnDisabled: 0,
    ggmlTypeF32: 0,
    ggmlTypeI32: 26,
    optimizerAdamW: 0
} as const;

export type RawLibLlama = {
    llama_backend_init(): void,
    llama_model_default_params(): LlamaModelParams,
    llama_context_default_params(): LlamaContextParams,
    llama_model_load_from_file(path: string, params: LlamaModelParams): LlamaModelPtr | null,
    llama_model_free(model: LlamaModelPtr): void,
    llama_init_from_model(model: LlamaModelPtr, params: LlamaContextParams): LlamaContextPtr | null,
    llama_free(ctx: LlamaContextPtr): void,
    llama_model_get_vocab(model: LlamaModelPtr): LlamaVocabPtr,
    llama_model_n_params(model: LlamaModelPtr): number | bigint,
    llama_tokenize(vocab: LlamaVocabPtr, text: string, textLen: number, tokens: Int32Array, nTokensMax: number, addSpecial: boolean, parseSpecial: boolean): number,
    /** Decodes `tokens` as one batch on sequence 0 (llama_batch_get_one + llama_decode). */
    decodeOne(ctx: LlamaContextPtr, tokens: Int32Array): number,
    /**
     * llama_opt_init with every tensor trainable, AdamW, and the optimiser parameters asked of `getParams` before each
     * step. The callback stays registered for the process's life (llama.cpp keeps calling it).
     */
    optInit(ctx: LlamaContextPtr, model: LlamaModelPtr, getParams: () => OptimizerParams): void,
    /** llama_opt_epoch: trains on data [0, split), evaluates on [split, ndata); `onBatch` after each ubatch. */
    optEpoch(ctx: LlamaContextPtr, dataset: OptDatasetPtr, train: OptResultPtr, evaluation: OptResultPtr, split: number,
        onBatch?: (train: boolean, batch: number, batches: number) => void): void,
    llama_model_save_to_file(model: LlamaModelPtr, path: string): void,

    ggml_opt_dataset_init(typeData: number, typeLabel: number, neDatapoint: number, neLabel: number, ndata: number, ndataShard: number): OptDatasetPtr,
    ggml_opt_dataset_free(dataset: OptDatasetPtr): void,
    ggml_opt_dataset_data(dataset: OptDatasetPtr): RawTensor,
    ggml_opt_dataset_labels(dataset: OptDatasetPtr): RawTensor,
    ggml_backend_tensor_set(t: RawTensor, data: Int32Array, offset: number, size: number): void,
    ggml_opt_result_init(): OptResultPtr,
    ggml_opt_result_free(result: OptResultPtr): void,
    ggml_opt_result_reset(result: OptResultPtr): void,
    /** ggml_opt_result_loss and ggml_opt_result_accuracy: mean and uncertainty of each. */
    resultStats(result: OptResultPtr): {loss: number, lossUnc: number, accuracy: number, accuracyUnc: number}
};

/** sizeof of the by-value structs on x86-64/arm64 Linux (gcc), from llama.h of the pinned release. */
const STRUCT_BYTES = {model: 80, context: 160, opt: 48, batch: 56, optimizer: 28} as const;

type KoffiLib = ReturnType<typeof koffi.load>;

let bound: Promise<RawLibLlama> | undefined;

/** Binds libllama beside the ggml node-llama-cpp loaded (once per process). */
export function loadLibLlama(): Promise<RawLibLlama> {
    bound ??= (async () => {
        const {registry, base} = await locateGgmlLibraries({gpu: false});
        const dir = path.dirname(registry);
        const file = fs.readdirSync(dir).find((f) => /^libllama(\.v[\d.]+)?\.(so|dylib)$/.test(f));
        if (!file) throw new ResourceError("E_LIBLLAMA_NOT_FOUND", `no libllama beside ${registry}`, {hint: "reinstall node-llama-cpp (npm ci)"});
        return bindLibLlama(koffi.load(path.join(dir, file)), koffi.load(base));
    })();
    bound.catch(() => (bound = undefined));
    return bound;
}

function bindLibLlama(llama: KoffiLib, ggml: KoffiLib): RawLibLlama {
    const version = ggml.func("const char* ggml_version()")() as string;
    if (version !== GGML_ABI.ggmlVersion) throw new GgmlAbiError("ggml_version()", version, GGML_ABI.ggmlVersion);

    // llama.h, field order and types as declared there (callbacks and pointers we leave null are "void *").
    const ModelParams = koffi.struct("prism_llama_model_params", {
        devices: "void *", tensor_buft_overrides: "void *", n_gpu_layers: "int32_t", split_mode: "int32_t", load_mode: "int32_t",
        lazy_mode: "int32_t", main_gpu: "int32_t", tensor_split: "void *", progress_callback: "void *", progress_callback_user_data: "void *",
        kv_overrides: "void *", vocab_only: "bool", check_tensors: "bool", use_extra_bufts: "bool", no_host: "bool", no_alloc: "bool", load_mtp: "bool"
    });
    const ContextParams = koffi.struct("prism_llama_context_params", {
        n_ctx: "uint32_t", n_batch: "uint32_t", n_ubatch: "uint32_t", n_seq_max: "uint32_t", n_rs_seq: "uint32_t", n_outputs_max: "uint32_t",
        n_outputs_max_per_seq: "uint32_t", n_threads: "int32_t", n_threads_batch: "int32_t",
        ctx_type: "int32_t", rope_scaling_type: "int32_t", pooling_type: "int32_t", attention_type: "int32_t", flash_attn_type: "int32_t",
        rope_freq_base: "float", rope_freq_scale: "float", yarn_ext_factor: "float", yarn_attn_factor: "float", yarn_beta_fast: "float",
        yarn_beta_slow: "float", yarn_orig_ctx: "uint32_t", defrag_thold: "float", cb_eval: "void *", cb_eval_user_data: "void *",
        type_k: "int32_t", type_v: "int32_t", abort_callback: "void *", abort_callback_data: "void *",
        embeddings: "bool", offload_kqv: "bool", no_perf: "bool", op_offload: "bool", swa_full: "bool", kv_unified: "bool",
        samplers: "void *", n_samplers: "size_t", ctx_other: "void *"
    });
    const Batch = koffi.struct("prism_llama_batch", {
        n_tokens: "int32_t", token: "void *", embd: "void *", pos: "void *", n_seq_id: "void *", seq_id: "void *", logits: "void *"
    });
    // ggml-opt.h
    const OptimizerParamsT = koffi.struct("prism_ggml_opt_optimizer_params", {
        adamw: koffi.struct({alpha: "float", beta1: "float", beta2: "float", eps: "float", wd: "float"}),
        sgd: koffi.struct({alpha: "float", wd: "float"})
    });
    const FilterProto = koffi.proto("bool prism_llama_opt_param_filter(void *tensor, void *userdata)");
    const GetParamsProto = koffi.proto("prism_ggml_opt_get_optimizer_params", OptimizerParamsT, ["void *"]);
    const EpochProto = koffi.proto("void prism_ggml_opt_epoch_callback(bool train, void *opt_ctx, void *dataset, void *result, int64_t ibatch, int64_t ibatch_max, int64_t t_start_us)");
    const OptParams = koffi.struct("prism_llama_opt_params", {
        n_ctx_train: "uint32_t", param_filter: koffi.pointer(FilterProto), param_filter_ud: "void *",
        get_opt_pars: koffi.pointer(GetParamsProto), get_opt_pars_ud: "void *", optimizer_type: "int32_t"
    });
    const sizes = {model: ModelParams, context: ContextParams, opt: OptParams, batch: Batch, optimizer: OptimizerParamsT};
    for (const [name, type] of Object.entries(sizes))
        if (koffi.sizeof(type) !== STRUCT_BYTES[name as keyof typeof STRUCT_BYTES])
            throw new GgmlAbiError(`sizeof(${name} params) in the libllama binding`, koffi.sizeof(type), STRUCT_BYTES[name as keyof typeof STRUCT_BYTES]);

    const fn = {
        backendInit: llama.func("void llama_backend_init()"),
        modelDefaults: llama.func("llama_model_default_params", ModelParams, []),
        contextDefaults: llama.func("llama_context_default_params", ContextParams, []),
        load: llama.func("llama_model_load_from_file", "void *", ["const char *", ModelParams]),
        modelFree: llama.func("void llama_model_free(void *model)"),
        init: llama.func("llama_init_from_model", "void *", ["void *", ContextParams]),
        free: llama.func("void llama_free(void *ctx)"),
        vocab: llama.func("void *llama_model_get_vocab(void *model)"),
        nParams: llama.func("uint64_t llama_model_n_params(void *model)"),
        tokenize: llama.func("int32_t llama_tokenize(void *vocab, const char *text, int32_t text_len, _Out_ int32_t *tokens, int32_t n_tokens_max, bool add_special, bool parse_special)"),
        batchOne: llama.func("llama_batch_get_one", Batch, ["int32_t *", "int32_t"]),
        decode: llama.func("llama_decode", "int32_t", ["void *", Batch]),
        optInit: llama.func("llama_opt_init", "void", ["void *", "void *", OptParams]),
        optEpoch: llama.func("llama_opt_epoch", "void", ["void *", "void *", "void *", "void *", "int64_t", koffi.pointer(EpochProto), koffi.pointer(EpochProto)]),
        save: llama.func("void llama_model_save_to_file(void *model, const char *path)"),
        dsInit: ggml.func("void *ggml_opt_dataset_init(int32_t type_data, int32_t type_label, int64_t ne_datapoint, int64_t ne_label, int64_t ndata, int64_t ndata_shard)"),
        dsFree: ggml.func("void ggml_opt_dataset_free(void *dataset)"),
        dsData: ggml.func("void *ggml_opt_dataset_data(void *dataset)"),
        dsLabels: ggml.func("void *ggml_opt_dataset_labels(void *dataset)"),
        tensorSet: ggml.func("void ggml_backend_tensor_set(void *tensor, const void *data, size_t offset, size_t size)"),
        resInit: ggml.func("void *ggml_opt_result_init()"),
        resFree: ggml.func("void ggml_opt_result_free(void *result)"),
        resReset: ggml.func("void ggml_opt_result_reset(void *result)"),
        resLoss: ggml.func("void ggml_opt_result_loss(void *result, _Out_ double *loss, _Out_ double *unc)"),
        resAccuracy: ggml.func("void ggml_opt_result_accuracy(void *result, _Out_ double *accuracy, _Out_ double *unc)")
    };
    const allTensors = koffi.register(() => true, koffi.pointer(FilterProto));
    return {
        llama_backend_init: () => fn.backendInit(),
        llama_model_default_params: () => fn.modelDefaults() as LlamaModelParams,
        llama_context_default_params: () => fn.contextDefaults() as LlamaContextParams,
        llama_model_load_from_file: (p, params) => fn.load(p, params) as LlamaModelPtr | null,
        llama_model_free: (m) => fn.modelFree(m),
        llama_init_from_model: (m, params) => fn.init(m, params) as LlamaContextPtr | null,
        llama_free: (c) => fn.free(c),
        llama_model_get_vocab: (m) => fn.vocab(m) as LlamaVocabPtr,
        llama_model_n_params: (m) => fn.nParams(m) as number | bigint,
        llama_tokenize: (v, text, len, tokens, max, addSpecial, parseSpecial) => fn.tokenize(v, text, len, tokens, max, addSpecial, parseSpecial) as number,
        decodeOne: (c, tokens) => fn.decode(c, fn.batchOne(tokens, tokens.length)) as number,
        optInit(c, m, getParams) {
            const cb = koffi.register(() => getParams(), koffi.pointer(GetParamsProto));
            fn.optInit(c, m, {n_ctx_train: 0, param_filter: allTensors, param_filter_ud: null, get_opt_pars: cb, get_opt_pars_ud: null, optimizer_type: LLAMA.optimizerAdamW});
        },
        optEpoch(c, ds, train, evaluation, split, onBatch) {
            const cb = onBatch ? koffi.register((t: boolean, _o: unknown, _d: unknown, _r: unknown, ib: number | bigint, ibmax: number | bigint) => onBatch(t, Number(ib), Number(ibmax)), koffi.pointer(EpochProto)) : null;
            try {
                fn.optEpoch(c, ds, train, evaluation, split, cb, cb);
            } finally {
                if (cb) koffi.unregister(cb);
            }
        },
        llama_model_save_to_file: (m, p) => fn.save(m, p),
        ggml_opt_dataset_init: (td, tl, nd, nl, n, shard) => fn.dsInit(td, tl, nd, nl, n, shard) as OptDatasetPtr,
        ggml_opt_dataset_free: (d) => fn.dsFree(d),
        ggml_opt_dataset_data: (d) => fn.dsData(d) as RawTensor,
        ggml_opt_dataset_labels: (d) => fn.dsLabels(d) as RawTensor,
        ggml_backend_tensor_set: (t, data, offset, size) => fn.tensorSet(t, data, offset, size),
        ggml_opt_result_init: () => fn.resInit() as OptResultPtr,
        ggml_opt_result_free: (r) => fn.resFree(r),
        ggml_opt_result_reset: (r) => fn.resReset(r),
        resultStats(r) {
            const loss = [0], lossUnc = [0], accuracy = [0], accuracyUnc = [0];
            fn.resLoss(r, loss, lossUnc);
            fn.resAccuracy(r, accuracy, accuracyUnc);
            return {loss: loss[0]!, lossUnc: lossUnc[0]!, accuracy: accuracy[0]!, accuracyUnc: accuracyUnc[0]!};
        }
    };
}
