// The ggml half of the native surface (libllama.ts is the llama.cpp half): every native ggml function prism calls, with its C name and C argument order.
// The declarations follow ggml.h, ggml-alloc.h and ggml-backend.h of the llama.cpp release node-llama-cpp pins
// (see GGML_ABI in ggml-abi.ts); the ABI test checks them against the loaded library.
import koffi, {type TypeObject} from "koffi";

export type RawCtx = {readonly __brand: "ggml_context*"};
export type RawTensor = {readonly __brand: "ggml_tensor*"};
export type RawGraph = {readonly __brand: "ggml_cgraph*"};
export type RawBackend = {readonly __brand: "ggml_backend*"};
export type RawBuffer = {readonly __brand: "ggml_backend_buffer*"};
export type RawBufferType = {readonly __brand: "ggml_backend_buffer_type*"};
export type RawDevice = {readonly __brand: "ggml_backend_device*"};
export type RawReg = {readonly __brand: "ggml_backend_reg*"};
export type RawGallocr = {readonly __brand: "ggml_gallocr*"};
export type RawFnPointer = {readonly __brand: "void(*)()"};
/** Host memory handed to ggml: a typed array or Buffer (koffi passes its address). */
export type HostMemory = ArrayBufferView;
type T = RawTensor;
type C = RawCtx;

export type RawGgml = {
    // misc
    ggml_version(): string,
    ggml_commit(): string,
    ggml_tensor_overhead(): number,
    ggml_graph_overhead_custom(size: number, grads: boolean): number,
    ggml_type_size(type: number): number,
    ggml_blck_size(type: number): number,
    ggml_type_name(type: number): string,
    ggml_op_name(op: number): string,
    ggml_status_to_string(status: number): string,
    ggml_nelements(t: T): number,
    ggml_nbytes(t: T): number,

    // contexts and tensors
    ggml_init(params: {mem_size: number, mem_buffer: null, no_alloc: boolean}): C | null,
    ggml_free(ctx: C): void,
    ggml_new_tensor(ctx: C, type: number, nDims: number, ne: BigInt64Array): T,
    ggml_set_name(t: T, name: string): T,
    ggml_get_first_tensor(ctx: C): T | null,
    ggml_get_next_tensor(ctx: C, t: T): T | null,
    ggml_set_input(t: T): void,
    ggml_set_output(t: T): void,
    ggml_set_param(t: T): void,

    // operations
    ggml_add(ctx: C, a: T, b: T): T,
    ggml_add_inplace(ctx: C, a: T, b: T): T,
    ggml_sub(ctx: C, a: T, b: T): T,
    ggml_mul(ctx: C, a: T, b: T): T,
    ggml_div(ctx: C, a: T, b: T): T,
    ggml_repeat(ctx: C, a: T, b: T): T,
    ggml_scale(ctx: C, a: T, s: number): T,
    ggml_scale_bias(ctx: C, a: T, s: number, b: number): T,
    ggml_sqr(ctx: C, a: T): T,
    ggml_log(ctx: C, a: T): T,
    ggml_clamp(ctx: C, a: T, min: number, max: number): T,
    ggml_sum(ctx: C, a: T): T,
    ggml_sum_rows(ctx: C, a: T): T,
    ggml_mul_mat(ctx: C, a: T, b: T): T,
    ggml_mul_mat_id(ctx: C, as: T, b: T, ids: T): T,
    ggml_out_prod(ctx: C, a: T, b: T): T,
    ggml_rms_norm(ctx: C, a: T, eps: number): T,
    ggml_rms_norm_back(ctx: C, a: T, b: T, eps: number): T,
    ggml_silu(ctx: C, a: T): T,
    ggml_silu_back(ctx: C, a: T, b: T): T,
    ggml_swiglu_split(ctx: C, a: T, b: T): T,
    ggml_soft_max_ext(ctx: C, a: T, mask: T | null, scale: number, maxBias: number): T,
    ggml_soft_max_ext_back(ctx: C, a: T, b: T, scale: number, maxBias: number): T,
    ggml_rope_ext(ctx: C, a: T, b: T, c: T | null, nDims: number, mode: number, nCtxOrig: number, freqBase: number, freqScale: number,
        extFactor: number, attnFactor: number, betaFast: number, betaSlow: number): T,
    ggml_rope_ext_back(ctx: C, a: T, b: T, c: T | null, nDims: number, mode: number, nCtxOrig: number, freqBase: number, freqScale: number,
        extFactor: number, attnFactor: number, betaFast: number, betaSlow: number): T,
    ggml_get_rows(ctx: C, a: T, b: T): T,
    ggml_get_rows_back(ctx: C, a: T, b: T, c: T): T,
    ggml_set_rows(ctx: C, a: T, b: T, c: T): T,
    ggml_top_k(ctx: C, a: T, k: number): T,
    ggml_argsort_top_k(ctx: C, a: T, k: number): T,
    ggml_cpy(ctx: C, a: T, b: T): T,
    ggml_cont(ctx: C, a: T): T,
    ggml_cast(ctx: C, a: T, type: number): T,
    ggml_transpose(ctx: C, a: T): T,
    ggml_permute(ctx: C, a: T, axis0: number, axis1: number, axis2: number, axis3: number): T,
    ggml_reshape_4d(ctx: C, a: T, ne0: number, ne1: number, ne2: number, ne3: number): T,
    ggml_view_4d(ctx: C, a: T, ne0: number, ne1: number, ne2: number, ne3: number, nb1: number, nb2: number, nb3: number, offset: number): T,
    ggml_opt_step_adamw(ctx: C, a: T, grad: T, m: T, v: T, adamwParams: T): T,

    // graphs
    ggml_new_graph_custom(ctx: C, size: number, grads: boolean): RawGraph,
    ggml_build_forward_expand(graph: RawGraph, t: T): void,
    ggml_graph_n_nodes(graph: RawGraph): number,
    ggml_graph_node(graph: RawGraph, i: number): T,

    // backends, devices, buffers
    ggml_backend_dev_count(): number,
    ggml_backend_dev_get(i: number): RawDevice,
    ggml_backend_dev_name(dev: RawDevice): string,
    ggml_backend_dev_description(dev: RawDevice): string,
    ggml_backend_dev_type(dev: RawDevice): number,
    ggml_backend_dev_memory(dev: RawDevice, free: BigUint64Array, total: BigUint64Array): void,
    ggml_backend_dev_backend_reg(dev: RawDevice): RawReg,
    ggml_backend_dev_init(dev: RawDevice, params: string | null): RawBackend | null,
    ggml_backend_dev_supports_op(dev: RawDevice, op: T): boolean,
    ggml_backend_reg_get_proc_address(reg: RawReg, name: string): RawFnPointer | null,
    ggml_backend_free(backend: RawBackend): void,
    ggml_backend_name(backend: RawBackend): string,
    ggml_backend_get_default_buffer_type(backend: RawBackend): RawBufferType,
    ggml_backend_graph_compute(backend: RawBackend, graph: RawGraph): number,
    ggml_backend_alloc_ctx_tensors(ctx: C, backend: RawBackend): RawBuffer | null,
    ggml_backend_buffer_free(buffer: RawBuffer): void,
    ggml_backend_buffer_get_size(buffer: RawBuffer): number,
    ggml_backend_buffer_clear(buffer: RawBuffer, value: number): void,
    ggml_backend_tensor_set(t: T, data: HostMemory, offset: number, size: number): void,
    ggml_backend_tensor_get(t: T, data: HostMemory, offset: number, size: number): void,
    ggml_backend_tensor_memset(t: T, value: number, offset: number, size: number): void,
    ggml_gallocr_new(buft: RawBufferType): RawGallocr,
    ggml_gallocr_free(galloc: RawGallocr): void,
    ggml_gallocr_alloc_graph(galloc: RawGallocr, graph: RawGraph): boolean,
    ggml_gallocr_get_buffer_size(galloc: RawGallocr, bufferId: number): number
};

/** Extra entry points that are not plain calls: async compute, struct reads, function pointers. */
export type RawGgmlExtras = {
    /** ggml_backend_graph_compute on a worker thread, so the event loop keeps running (Ctrl-C, progress). */
    graphComputeAsync(backend: RawBackend, graph: RawGraph): Promise<number>,
    /** Reads ggml_tensor fields straight from the struct. */
    tensorType(t: T): number,
    tensorNe(t: T): [number, number, number, number],
    tensorNb(t: T): [number, number, number, number],
    tensorOp(t: T): number,
    tensorName(t: T): string,
    /** A tensor's i-th source (operand), or null. */
    tensorSrc(t: T, i: number): T | null,
    /** Address of a tensor's data (0n when it has none). */
    tensorDataAddress(t: T): bigint,
    /** Clears a tensor's buffer and data pointers, so a graph allocator places it afresh. */
    clearPlacement(t: T): void,
    /** sizeof(struct ggml_tensor) as this binding lays it out. */
    tensorStructSize: number,
    /** Calls a `void fn(ggml_backend_t, int)` obtained from a backend registry (ggml_backend_set_n_threads). */
    callSetNThreads(fn: RawFnPointer, backend: RawBackend, nThreads: number): void
};

export type LoadedRawGgml = {raw: RawGgml, extras: RawGgmlExtras};

const GGML_MAX_DIMS = 4;
const GGML_MAX_SRC = 10;
const GGML_MAX_OP_PARAMS = 64;
const GGML_MAX_NAME = 64;

/**
 * Binds the libraries at these paths (already loaded by node-llama-cpp, so dlopen hands back the same copies).
 * `base` is libggml-base (tensors, ops, graphs, allocators, backend interface); `registry` is libggml (the backend
 * registry node-llama-cpp filled with its CPU and GPU backends).
 */
export function loadRawGgml(paths: {base: string, registry: string}): LoadedRawGgml {
    const base = koffi.load(paths.base);
    const registry = koffi.load(paths.registry);

    const {tensorStruct, setNThreadsProto} = defineTypes();

    const declarations: Record<keyof RawGgml, [lib: "base" | "registry", signature: string]> = {
        ggml_version: ["base", "const char* ggml_version()"],
        ggml_commit: ["base", "const char* ggml_commit()"],
        ggml_tensor_overhead: ["base", "size_t ggml_tensor_overhead()"],
        ggml_graph_overhead_custom: ["base", "size_t ggml_graph_overhead_custom(size_t size, bool grads)"],
        ggml_type_size: ["base", "size_t ggml_type_size(int type)"],
        ggml_blck_size: ["base", "int64_t ggml_blck_size(int type)"],
        ggml_type_name: ["base", "const char* ggml_type_name(int type)"],
        ggml_op_name: ["base", "const char* ggml_op_name(int op)"],
        ggml_status_to_string: ["base", "const char* ggml_status_to_string(int status)"],
        ggml_nelements: ["base", "int64_t ggml_nelements(ggml_tensor_t t)"],
        ggml_nbytes: ["base", "size_t ggml_nbytes(ggml_tensor_t t)"],

        ggml_init: ["base", "ggml_context_t ggml_init(ggml_init_params params)"],
        ggml_free: ["base", "void ggml_free(ggml_context_t ctx)"],
        ggml_new_tensor: ["base", "ggml_tensor_t ggml_new_tensor(ggml_context_t ctx, int type, int n_dims, const int64_t* ne)"],
        ggml_set_name: ["base", "ggml_tensor_t ggml_set_name(ggml_tensor_t t, const char* name)"],
        ggml_get_first_tensor: ["base", "ggml_tensor_t ggml_get_first_tensor(ggml_context_t ctx)"],
        ggml_get_next_tensor: ["base", "ggml_tensor_t ggml_get_next_tensor(ggml_context_t ctx, ggml_tensor_t t)"],
        ggml_set_input: ["base", "void ggml_set_input(ggml_tensor_t t)"],
        ggml_set_output: ["base", "void ggml_set_output(ggml_tensor_t t)"],
        ggml_set_param: ["base", "void ggml_set_param(ggml_tensor_t t)"],
        ggml_add: ["base", "ggml_tensor_t ggml_add(ggml_context_t ctx, ggml_tensor_t a, ggml_tensor_t b)"],
        ggml_add_inplace: ["base", "ggml_tensor_t ggml_add_inplace(ggml_context_t ctx, ggml_tensor_t a, ggml_tensor_t b)"],
        ggml_sub: ["base", "ggml_tensor_t ggml_sub(ggml_context_t ctx, ggml_tensor_t a, ggml_tensor_t b)"],
        ggml_mul: ["base", "ggml_tensor_t ggml_mul(ggml_context_t ctx, ggml_tensor_t a, ggml_tensor_t b)"],
        ggml_div: ["base", "ggml_tensor_t ggml_div(ggml_context_t ctx, ggml_tensor_t a, ggml_tensor_t b)"],
        ggml_repeat: ["base", "ggml_tensor_t ggml_repeat(ggml_context_t ctx, ggml_tensor_t a, ggml_tensor_t b)"],
        ggml_scale: ["base", "ggml_tensor_t ggml_scale(ggml_context_t ctx, ggml_tensor_t a, float s)"],
        ggml_scale_bias: ["base", "ggml_tensor_t ggml_scale_bias(ggml_context_t ctx, ggml_tensor_t a, float s, float b)"],
        ggml_sqr: ["base", "ggml_tensor_t ggml_sqr(ggml_context_t ctx, ggml_tensor_t a)"],
        ggml_log: ["base", "ggml_tensor_t ggml_log(ggml_context_t ctx, ggml_tensor_t a)"],
        ggml_clamp: ["base", "ggml_tensor_t ggml_clamp(ggml_context_t ctx, ggml_tensor_t a, float min, float max)"],
        ggml_sum: ["base", "ggml_tensor_t ggml_sum(ggml_context_t ctx, ggml_tensor_t a)"],
        ggml_sum_rows: ["base", "ggml_tensor_t ggml_sum_rows(ggml_context_t ctx, ggml_tensor_t a)"],
        ggml_mul_mat: ["base", "ggml_tensor_t ggml_mul_mat(ggml_context_t ctx, ggml_tensor_t a, ggml_tensor_t b)"],
        ggml_mul_mat_id: ["base", "ggml_tensor_t ggml_mul_mat_id(ggml_context_t ctx, ggml_tensor_t as, ggml_tensor_t b, ggml_tensor_t ids)"],
        ggml_out_prod: ["base", "ggml_tensor_t ggml_out_prod(ggml_context_t ctx, ggml_tensor_t a, ggml_tensor_t b)"],
        ggml_rms_norm: ["base", "ggml_tensor_t ggml_rms_norm(ggml_context_t ctx, ggml_tensor_t a, float eps)"],
        ggml_rms_norm_back: ["base", "ggml_tensor_t ggml_rms_norm_back(ggml_context_t ctx, ggml_tensor_t a, ggml_tensor_t b, float eps)"],
        ggml_silu: ["base", "ggml_tensor_t ggml_silu(ggml_context_t ctx, ggml_tensor_t a)"],
        ggml_silu_back: ["base", "ggml_tensor_t ggml_silu_back(ggml_context_t ctx, ggml_tensor_t a, ggml_tensor_t b)"],
        ggml_swiglu_split: ["base", "ggml_tensor_t ggml_swiglu_split(ggml_context_t ctx, ggml_tensor_t a, ggml_tensor_t b)"],
        ggml_soft_max_ext: ["base", "ggml_tensor_t ggml_soft_max_ext(ggml_context_t ctx, ggml_tensor_t a, ggml_tensor_t mask, float scale, float max_bias)"],
        ggml_soft_max_ext_back: ["base", "ggml_tensor_t ggml_soft_max_ext_back(ggml_context_t ctx, ggml_tensor_t a, ggml_tensor_t b, float scale, float max_bias)"],
        ggml_rope_ext: ["base", "ggml_tensor_t ggml_rope_ext(ggml_context_t ctx, ggml_tensor_t a, ggml_tensor_t b, ggml_tensor_t c, int n_dims, int mode, int n_ctx_orig, float freq_base, float freq_scale, float ext_factor, float attn_factor, float beta_fast, float beta_slow)"],
        ggml_rope_ext_back: ["base", "ggml_tensor_t ggml_rope_ext_back(ggml_context_t ctx, ggml_tensor_t a, ggml_tensor_t b, ggml_tensor_t c, int n_dims, int mode, int n_ctx_orig, float freq_base, float freq_scale, float ext_factor, float attn_factor, float beta_fast, float beta_slow)"],
        ggml_get_rows: ["base", "ggml_tensor_t ggml_get_rows(ggml_context_t ctx, ggml_tensor_t a, ggml_tensor_t b)"],
        ggml_get_rows_back: ["base", "ggml_tensor_t ggml_get_rows_back(ggml_context_t ctx, ggml_tensor_t a, ggml_tensor_t b, ggml_tensor_t c)"],
        ggml_set_rows: ["base", "ggml_tensor_t ggml_set_rows(ggml_context_t ctx, ggml_tensor_t a, ggml_tensor_t b, ggml_tensor_t c)"],
        ggml_top_k: ["base", "ggml_tensor_t ggml_top_k(ggml_context_t ctx, ggml_tensor_t a, int k)"],
        ggml_argsort_top_k: ["base", "ggml_tensor_t ggml_argsort_top_k(ggml_context_t ctx, ggml_tensor_t a, int k)"],
        ggml_cpy: ["base", "ggml_tensor_t ggml_cpy(ggml_context_t ctx, ggml_tensor_t a, ggml_tensor_t b)"],
        ggml_cont: ["base", "ggml_tensor_t ggml_cont(ggml_context_t ctx, ggml_tensor_t a)"],
        ggml_cast: ["base", "ggml_tensor_t ggml_cast(ggml_context_t ctx, ggml_tensor_t a, int type)"],
        ggml_transpose: ["base", "ggml_tensor_t ggml_transpose(ggml_context_t ctx, ggml_tensor_t a)"],
        ggml_permute: ["base", "ggml_tensor_t ggml_permute(ggml_context_t ctx, ggml_tensor_t a, int axis0, int axis1, int axis2, int axis3)"],
        ggml_reshape_4d: ["base", "ggml_tensor_t ggml_reshape_4d(ggml_context_t ctx, ggml_tensor_t a, int64_t ne0, int64_t ne1, int64_t ne2, int64_t ne3)"],
        ggml_view_4d: ["base", "ggml_tensor_t ggml_view_4d(ggml_context_t ctx, ggml_tensor_t a, int64_t ne0, int64_t ne1, int64_t ne2, int64_t ne3, size_t nb1, size_t nb2, size_t nb3, size_t offset)"],
        ggml_opt_step_adamw: ["base", "ggml_tensor_t ggml_opt_step_adamw(ggml_context_t ctx, ggml_tensor_t a, ggml_tensor_t grad, ggml_tensor_t m, ggml_tensor_t v, ggml_tensor_t adamw_params)"],

        ggml_new_graph_custom: ["base", "ggml_cgraph_t ggml_new_graph_custom(ggml_context_t ctx, size_t size, bool grads)"],
        ggml_build_forward_expand: ["base", "void ggml_build_forward_expand(ggml_cgraph_t graph, ggml_tensor_t t)"],
        ggml_graph_n_nodes: ["base", "int ggml_graph_n_nodes(ggml_cgraph_t graph)"],
        ggml_graph_node: ["base", "ggml_tensor_t ggml_graph_node(ggml_cgraph_t graph, int i)"],

        ggml_backend_dev_count: ["registry", "size_t ggml_backend_dev_count()"],
        ggml_backend_dev_get: ["registry", "ggml_backend_dev_t ggml_backend_dev_get(size_t index)"],
        ggml_backend_dev_name: ["base", "const char* ggml_backend_dev_name(ggml_backend_dev_t dev)"],
        ggml_backend_dev_description: ["base", "const char* ggml_backend_dev_description(ggml_backend_dev_t dev)"],
        ggml_backend_dev_type: ["base", "int ggml_backend_dev_type(ggml_backend_dev_t dev)"],
        ggml_backend_dev_memory: ["base", "void ggml_backend_dev_memory(ggml_backend_dev_t dev, size_t* free, size_t* total)"],
        ggml_backend_dev_backend_reg: ["base", "ggml_backend_reg_t ggml_backend_dev_backend_reg(ggml_backend_dev_t dev)"],
        ggml_backend_dev_init: ["base", "ggml_backend_t ggml_backend_dev_init(ggml_backend_dev_t dev, const char* params)"],
        ggml_backend_dev_supports_op: ["base", "bool ggml_backend_dev_supports_op(ggml_backend_dev_t dev, ggml_tensor_t op)"],
        ggml_backend_reg_get_proc_address: ["base", "void* ggml_backend_reg_get_proc_address(ggml_backend_reg_t reg, const char* name)"],
        ggml_backend_free: ["base", "void ggml_backend_free(ggml_backend_t backend)"],
        ggml_backend_name: ["base", "const char* ggml_backend_name(ggml_backend_t backend)"],
        ggml_backend_get_default_buffer_type: ["base", "ggml_backend_buffer_type_t ggml_backend_get_default_buffer_type(ggml_backend_t backend)"],
        ggml_backend_graph_compute: ["base", "int ggml_backend_graph_compute(ggml_backend_t backend, ggml_cgraph_t graph)"],
        ggml_backend_alloc_ctx_tensors: ["base", "ggml_backend_buffer_t ggml_backend_alloc_ctx_tensors(ggml_context_t ctx, ggml_backend_t backend)"],
        ggml_backend_buffer_free: ["base", "void ggml_backend_buffer_free(ggml_backend_buffer_t buffer)"],
        ggml_backend_buffer_get_size: ["base", "size_t ggml_backend_buffer_get_size(ggml_backend_buffer_t buffer)"],
        ggml_backend_buffer_clear: ["base", "void ggml_backend_buffer_clear(ggml_backend_buffer_t buffer, uint8_t value)"],
        ggml_backend_tensor_set: ["base", "void ggml_backend_tensor_set(ggml_tensor_t t, const void* data, size_t offset, size_t size)"],
        ggml_backend_tensor_get: ["base", "void ggml_backend_tensor_get(ggml_tensor_t t, void* data, size_t offset, size_t size)"],
        ggml_backend_tensor_memset: ["base", "void ggml_backend_tensor_memset(ggml_tensor_t t, uint8_t value, size_t offset, size_t size)"],
        ggml_gallocr_new: ["base", "ggml_gallocr_t ggml_gallocr_new(ggml_backend_buffer_type_t buft)"],
        ggml_gallocr_free: ["base", "void ggml_gallocr_free(ggml_gallocr_t galloc)"],
        ggml_gallocr_alloc_graph: ["base", "bool ggml_gallocr_alloc_graph(ggml_gallocr_t galloc, ggml_cgraph_t graph)"],
        ggml_gallocr_get_buffer_size: ["base", "size_t ggml_gallocr_get_buffer_size(ggml_gallocr_t galloc, int buffer_id)"]
    };

    const libs = {base, registry};
    const raw = {} as Record<string, unknown>;
    for (const [name, [lib, signature]] of Object.entries(declarations)) raw[name] = libs[lib].func(signature);
    const typed = raw as unknown as RawGgml;

    const computeFn = base.func(declarations.ggml_backend_graph_compute[1]);
    const neOffset = koffi.offsetof(tensorStruct, "ne");
    const nbOffset = koffi.offsetof(tensorStruct, "nb");
    const typeOffset = koffi.offsetof(tensorStruct, "type");
    const opOffset = koffi.offsetof(tensorStruct, "op");
    const nameOffset = koffi.offsetof(tensorStruct, "name");
    const bufferOffset = koffi.offsetof(tensorStruct, "buffer");
    const srcOffset = koffi.offsetof(tensorStruct, "src");
    const tensorPtrType = koffi.type("ggml_tensor_t");
    const dataOffset = koffi.offsetof(tensorStruct, "data");
    const toNumbers = (v: ArrayLike<number | bigint>) => Array.from(v, Number) as [number, number, number, number];

    const extras: RawGgmlExtras = {
        graphComputeAsync: (backend, graph) => new Promise((resolve, reject) => {
            computeFn.async(backend, graph, (err: unknown, status: number) => (err ? reject(err) : resolve(status)));
        }),
        tensorType: (t) => koffi.decode(t, typeOffset, "int") as number,
        tensorNe: (t) => toNumbers(koffi.decode(t, neOffset, "int64_t", GGML_MAX_DIMS) as ArrayLike<number | bigint>),
        tensorNb: (t) => toNumbers(koffi.decode(t, nbOffset, "size_t", GGML_MAX_DIMS) as ArrayLike<number | bigint>),
        tensorOp: (t) => koffi.decode(t, opOffset, "int") as number,
        tensorName: (t) => koffi.decode(t, nameOffset, "char", GGML_MAX_NAME) as string,
        tensorSrc: (t, i) => koffi.decode(t, srcOffset + 8 * i, tensorPtrType) as T | null,
        tensorDataAddress: (t) => {
            const p: unknown = koffi.decode(t, dataOffset, "void*");
            return p ? koffi.address(p) : 0n;
        },
        clearPlacement: (t) => {
            koffi.encode(t, bufferOffset, "void*", null);
            koffi.encode(t, dataOffset, "void*", null);
        },
        tensorStructSize: koffi.sizeof(tensorStruct),
        callSetNThreads: (fn, backend, n) => {
            koffi.call(fn, setNThreadsProto, backend, n);
        }
    };
    return {raw: typed, extras};
}

type Types = {tensorStruct: TypeObject, setNThreadsProto: TypeObject};
let types: Types | undefined;

/** koffi type names are process-global, so they are declared once. */
function defineTypes(): Types {
    if (types) return types;
    const ctxPtr = koffi.pointer("ggml_context", koffi.opaque());
    const tensorPtr = koffi.pointer("ggml_tensor", koffi.opaque());
    const graphPtr = koffi.pointer("ggml_cgraph", koffi.opaque());
    const backendPtr = koffi.pointer("ggml_backend", koffi.opaque());
    const bufferPtr = koffi.pointer("ggml_backend_buffer", koffi.opaque());
    const bufferTypePtr = koffi.pointer("ggml_backend_buffer_type", koffi.opaque());
    const devicePtr = koffi.pointer("ggml_backend_device", koffi.opaque());
    const regPtr = koffi.pointer("ggml_backend_reg", koffi.opaque());
    const gallocrPtr = koffi.pointer("ggml_gallocr", koffi.opaque());
    koffi.alias("ggml_context_t", ctxPtr);
    koffi.alias("ggml_tensor_t", tensorPtr);
    koffi.alias("ggml_cgraph_t", graphPtr);
    koffi.alias("ggml_backend_t", backendPtr);
    koffi.alias("ggml_backend_buffer_t", bufferPtr);
    koffi.alias("ggml_backend_buffer_type_t", bufferTypePtr);
    koffi.alias("ggml_backend_dev_t", devicePtr);
    koffi.alias("ggml_backend_reg_t", regPtr);
    koffi.alias("ggml_gallocr_t", gallocrPtr);
    koffi.struct("ggml_init_params", {mem_size: "size_t", mem_buffer: "void*", no_alloc: "bool"});
    const tensorStruct = koffi.struct("ggml_tensor_layout", {
        type: "int",
        buffer: "void*",
        ne: koffi.array("int64_t", GGML_MAX_DIMS),
        nb: koffi.array("size_t", GGML_MAX_DIMS),
        op: "int",
        op_params: koffi.array("int32_t", GGML_MAX_OP_PARAMS / 4),
        flags: "int32_t",
        src: koffi.array("void*", GGML_MAX_SRC),
        view_src: "void*",
        view_offs: "size_t",
        data: "void*",
        name: koffi.array("char", GGML_MAX_NAME),
        extra: "void*",
        padding: koffi.array("char", 8)
    });
    const setNThreadsProto = koffi.proto("void ggml_backend_set_n_threads_fn(ggml_backend_t, int)");
    types = {tensorStruct, setNThreadsProto};
    return types;
}
