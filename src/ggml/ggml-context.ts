import {ResourceError} from "../util/prism-error.js";
import {GgmlGraph} from "./ggml-graph.js";
import type {Ggml, GgmlTensor} from "./ggml.js";
import {NativeResource} from "./native-resource.js";
import type {RawCtx} from "./raw.js";

/** Rotary embedding settings, as ggml_rope_ext takes them. */
export type RopeParams = {
    nDims: number,
    /** 0 = normal (adjacent pairs, llama), 2 = neox (halves, qwen2). */
    mode: number,
    nCtxOrig: number,
    freqBase: number,
    freqScale: number,
    extFactor: number,
    attnFactor: number,
    betaFast: number,
    betaSlow: number
};

export type GgmlContextOptions = {
    /** Tensor descriptors the context must hold (weights, or every node of a graph). */
    maxTensors: number,
    /** Node capacity of the graphs created in it (0 if none). Defaults to `0`. */
    maxGraphNodes?: number,
    /** Graphs the context will hold. Defaults to `1` when maxGraphNodes > 0. */
    graphs?: number
};

/**
 * Tensor descriptors and graphs (no data: tensors get memory from a backend buffer or a graph allocator). The
 * methods are ggml's operations; each returns a new tensor describing the result.
 */
export class GgmlContext extends NativeResource {
    private constructor(private readonly ggml: Ggml, readonly handle: RawCtx) {
        super("ggml context");
    }

    /** A context sized up front for `maxTensors` descriptors and the graphs. */
    static create(ggml: Ggml, options: GgmlContextOptions): GgmlContext {
        const nodes = options.maxGraphNodes ?? 0;
        const graphs = options.graphs ?? (nodes > 0 ? 1 : 0);
        const memSize = options.maxTensors * ggml.raw.ggml_tensor_overhead() + graphs * ggml.raw.ggml_graph_overhead_custom(nodes, false) + 1024;
        const handle = ggml.raw.ggml_init({mem_size: memSize, mem_buffer: null, no_alloc: true});
        if (!handle) throw new ResourceError("E_GGML_INIT", `ggml_init could not reserve ${memSize} bytes`);
        return new GgmlContext(ggml, handle);
    }

    newTensor(type: number, shape: readonly number[], name?: string): GgmlTensor {
        this.ensureAlive();
        const t = this.ggml.raw.ggml_new_tensor(this.handle, type, shape.length, BigInt64Array.from(shape, BigInt));
        if (name) this.ggml.raw.ggml_set_name(t, name);
        return t;
    }

    newGraph(maxNodes: number): GgmlGraph {
        this.ensureAlive();
        return new GgmlGraph(this.ggml, this.ggml.raw.ggml_new_graph_custom(this.handle, maxNodes, false), maxNodes, this);
    }

    /**
     * Forgets where a graph allocator put this context's tensors. ggml's allocator skips tensors that already have
     * memory, so a graph run again after the allocator served other graphs (and perhaps grew its buffer) must be
     * cleared first, or it would compute into stale memory. Only for contexts whose tensors an allocator placed.
     */
    clearPlacements(): void {
        this.ensureAlive();
        for (let t = this.ggml.raw.ggml_get_first_tensor(this.handle); t; t = this.ggml.raw.ggml_get_next_tensor(this.handle, t))
            this.ggml.extras.clearPlacement(t);
    }

    setName(t: GgmlTensor, name: string): GgmlTensor {
        return this.ggml.raw.ggml_set_name(t, name.slice(0, 63));
    }

    /** Marks a tensor the caller writes before each computation (the allocator never reuses its memory). */
    markInput(t: GgmlTensor): GgmlTensor {
        this.ggml.raw.ggml_set_input(t);
        return t;
    }

    /** Marks a tensor the caller reads after computation (the allocator keeps it intact). */
    markOutput(t: GgmlTensor): GgmlTensor {
        this.ggml.raw.ggml_set_output(t);
        return t;
    }

    /** Marks a trainable parameter (ggml's optimiser steps require it). */
    markParameter(t: GgmlTensor): GgmlTensor {
        this.ggml.raw.ggml_set_param(t);
        return t;
    }

    shape(t: GgmlTensor): [number, number, number, number] {
        return this.ggml.shape(t);
    }

    strides(t: GgmlTensor): [number, number, number, number] {
        return this.ggml.strides(t);
    }

    // Element-wise and reductions.
    add(a: GgmlTensor, b: GgmlTensor): GgmlTensor { return this.ggml.raw.ggml_add(this.handle, a, b); }
    /** a += b, in a's memory (a must outlive the graph, e.g. a gradient accumulator). */
    addInPlace(a: GgmlTensor, b: GgmlTensor): GgmlTensor { return this.ggml.raw.ggml_add_inplace(this.handle, a, b); }
    sub(a: GgmlTensor, b: GgmlTensor): GgmlTensor { return this.ggml.raw.ggml_sub(this.handle, a, b); }
    /** a ⊙ b, with b broadcast over a where its dimensions divide a's. */
    mul(a: GgmlTensor, b: GgmlTensor): GgmlTensor { return this.ggml.raw.ggml_mul(this.handle, a, b); }
    /** a / b element-wise, b broadcast over a. */
    div(a: GgmlTensor, b: GgmlTensor): GgmlTensor { return this.ggml.raw.ggml_div(this.handle, a, b); }
    /** a tiled to the shape of `like`. */
    repeat(a: GgmlTensor, like: GgmlTensor): GgmlTensor { return this.ggml.raw.ggml_repeat(this.handle, a, like); }
    scale(a: GgmlTensor, s: number): GgmlTensor { return this.ggml.raw.ggml_scale(this.handle, a, s); }
    /** a·s + b */
    scaleBias(a: GgmlTensor, s: number, b: number): GgmlTensor { return this.ggml.raw.ggml_scale_bias(this.handle, a, s, b); }
    sqr(a: GgmlTensor): GgmlTensor { return this.ggml.raw.ggml_sqr(this.handle, a); }
    log(a: GgmlTensor): GgmlTensor { return this.ggml.raw.ggml_log(this.handle, a); }
    clamp(a: GgmlTensor, min: number, max: number): GgmlTensor { return this.ggml.raw.ggml_clamp(this.handle, a, min, max); }
    sum(a: GgmlTensor): GgmlTensor { return this.ggml.raw.ggml_sum(this.handle, a); }
    /** Sums each row (dimension 0) to one value. */
    sumRows(a: GgmlTensor): GgmlTensor { return this.ggml.raw.ggml_sum_rows(this.handle, a); }

    // Matrix products: mulMat(a [K, M], b [K, N]) = aᵀ·b [M, N]; outProd(a [M, K], b [N, K]) = a·bᵀ [M, N].
    mulMat(a: GgmlTensor, b: GgmlTensor): GgmlTensor { return this.ggml.raw.ggml_mul_mat(this.handle, a, b); }
    /**
     * Per-token expert products: as ne [K, M, E] (E matrices), b ne [K, n_b, N], ids I32 ne [k, N] → ne [M, k, N],
     * where slot j of token n is as[ids[j, n]]·b[:, j mod n_b, n].
     */
    mulMatId(as: GgmlTensor, b: GgmlTensor, ids: GgmlTensor): GgmlTensor { return this.ggml.raw.ggml_mul_mat_id(this.handle, as, b, ids); }
    outProd(a: GgmlTensor, b: GgmlTensor): GgmlTensor { return this.ggml.raw.ggml_out_prod(this.handle, a, b); }

    // Transformer pieces and their gradients.
    rmsNorm(a: GgmlTensor, eps: number): GgmlTensor { return this.ggml.raw.ggml_rms_norm(this.handle, a, eps); }
    /** Gradient of rmsNorm(x) given dy: rmsNormBack(dy, x). */
    rmsNormBack(dy: GgmlTensor, x: GgmlTensor, eps: number): GgmlTensor { return this.ggml.raw.ggml_rms_norm_back(this.handle, dy, x, eps); }
    silu(a: GgmlTensor): GgmlTensor { return this.ggml.raw.ggml_silu(this.handle, a); }
    /** Gradient of silu(x) given dy: siluBack(dy, x). */
    siluBack(dy: GgmlTensor, x: GgmlTensor): GgmlTensor { return this.ggml.raw.ggml_silu_back(this.handle, dy, x); }
    /** silu(a) ⊙ b */
    swiglu(a: GgmlTensor, b: GgmlTensor): GgmlTensor { return this.ggml.raw.ggml_swiglu_split(this.handle, a, b); }
    /** softmax(a·scale + mask) over dimension 0. */
    softMax(a: GgmlTensor, mask: GgmlTensor | null, scale: number): GgmlTensor { return this.ggml.raw.ggml_soft_max_ext(this.handle, a, mask, scale, 0); }
    /** Gradient of softMax(x, mask, scale) with respect to x, given dy and the softmax output y. */
    softMaxBack(dy: GgmlTensor, y: GgmlTensor, scale: number): GgmlTensor { return this.ggml.raw.ggml_soft_max_ext_back(this.handle, dy, y, scale, 0); }
    rope(a: GgmlTensor, positions: GgmlTensor, freqFactors: GgmlTensor | null, p: RopeParams): GgmlTensor {
        return this.ggml.raw.ggml_rope_ext(this.handle, a, positions, freqFactors, p.nDims, p.mode, p.nCtxOrig, p.freqBase, p.freqScale, p.extFactor, p.attnFactor, p.betaFast, p.betaSlow);
    }
    /** Gradient of rope given dy (the inverse rotation). */
    ropeBack(dy: GgmlTensor, positions: GgmlTensor, freqFactors: GgmlTensor | null, p: RopeParams): GgmlTensor {
        return this.ggml.raw.ggml_rope_ext_back(this.handle, dy, positions, freqFactors, p.nDims, p.mode, p.nCtxOrig, p.freqBase, p.freqScale, p.extFactor, p.attnFactor, p.betaFast, p.betaSlow);
    }

    // Gathers and scatters along dimension 1 (rows).
    /** Rows of a (any type, dequantized to F32) at the I32 indices in b. */
    getRows(a: GgmlTensor, indices: GgmlTensor): GgmlTensor { return this.ggml.raw.ggml_get_rows(this.handle, a, indices); }
    /** Gradient of getRows: dy's rows added into a zero tensor shaped like `like` at the indices. */
    getRowsBack(dy: GgmlTensor, indices: GgmlTensor, like: GgmlTensor): GgmlTensor { return this.ggml.raw.ggml_get_rows_back(this.handle, dy, indices, like); }
    /** Overwrites rows of dst at the indices with the rows of src; returns a view of dst. */
    setRows(dst: GgmlTensor, src: GgmlTensor, indices: GgmlTensor): GgmlTensor { return this.ggml.raw.ggml_set_rows(this.handle, dst, src, indices); }
    /** Indices (I32) of the k largest values of each row, largest first. */
    topK(a: GgmlTensor, k: number): GgmlTensor { return this.ggml.raw.ggml_top_k(this.handle, a, k); }
    /** Indices (I32, a view) of the k largest values of each row, largest first, by a full argsort (llama.cpp's expert selection). */
    argsortTopK(a: GgmlTensor, k: number): GgmlTensor { return this.ggml.raw.ggml_argsort_top_k(this.handle, a, k); }

    // Layout.
    /** Copies a into b's memory (converting the type); returns a view of b. */
    copy(a: GgmlTensor, b: GgmlTensor): GgmlTensor { return this.ggml.raw.ggml_cpy(this.handle, a, b); }
    cont(a: GgmlTensor): GgmlTensor { return this.ggml.raw.ggml_cont(this.handle, a); }
    /** A contiguous copy of a (any layout) in another type. */
    cast(a: GgmlTensor, type: number): GgmlTensor { return this.ggml.raw.ggml_cast(this.handle, a, type); }
    transpose(a: GgmlTensor): GgmlTensor { return this.ggml.raw.ggml_transpose(this.handle, a); }
    /** Axis i of a becomes axis axes[i] of the result (ggml's convention). */
    permute(a: GgmlTensor, ...axes: [number, number, number, number]): GgmlTensor { return this.ggml.raw.ggml_permute(this.handle, a, ...axes); }
    reshape(a: GgmlTensor, shape: readonly number[]): GgmlTensor {
        const [ne0 = 1, ne1 = 1, ne2 = 1, ne3 = 1] = shape;
        return this.ggml.raw.ggml_reshape_4d(this.handle, a, ne0, ne1, ne2, ne3);
    }
    /** A window into a: shape, byte offset, byte strides nb1..nb3 (defaults: contiguous for the shape). */
    view(a: GgmlTensor, shape: readonly number[], offsetBytes = 0, strides?: readonly number[]): GgmlTensor {
        const [ne0 = 1, ne1 = 1, ne2 = 1, ne3 = 1] = shape;
        const type = this.ggml.typeOf(a);
        const rowBytes = (this.ggml.typeSizeBytes(type) * ne0) / this.ggml.blockSize(type);
        const [nb1 = rowBytes, nb2 = nb1 * ne1, nb3 = nb2 * ne2] = strides ?? [];
        return this.ggml.raw.ggml_view_4d(this.handle, a, ne0, ne1, ne2, ne3, nb1, nb2, nb3, offsetBytes);
    }

    /** One AdamW step on parameter a in place, with moments m and v; params = [lr, beta1, beta2, eps, wd, 1/(1-beta1^t), 1/(1-beta2^t)]. */
    adamwStep(a: GgmlTensor, grad: GgmlTensor, m: GgmlTensor, v: GgmlTensor, params: GgmlTensor): GgmlTensor {
        return this.ggml.raw.ggml_opt_step_adamw(this.handle, a, grad, m, v, params);
    }

    protected free(): void {
        this.ggml.raw.ggml_free(this.handle);
    }
}
