import type {GgmlBackend} from "../ggml/ggml-backend.js";
import type {GgmlBuffer} from "../ggml/ggml-buffer.js";
import {GgmlContext} from "../ggml/ggml-context.js";
import type {Ggml, GgmlTensor} from "../ggml/ggml.js";
import {projectionNames} from "../model/architecture.js";
import {GgmlType} from "../model/ggml-type.js";
import type {LinearWeights, ModelWeights} from "./model-weights.js";
import type {BlockTransposed} from "./transformer-block.js";

/**
 * What the backward multiplies by to reach a layer's input (dx = Wᵀ·dy). ggml's matrix product needs Wᵀ stored
 * row-major, and runs several times faster than its out_prod (which, on a quantised W, dequantises every row once
 * per token), so Wᵀ is materialised, by default in the graph itself, a slice of rows at a time just before its
 * product (transposedProduct): no dequantised copy of the model exists, only one slice at a time. `precompute: true`
 * makes whole copies before training instead (2 bytes a weight: the reference the default path is tested against).
 * `arange` (I32 0..n-1) is the index get_rows dequantises rows with.
 */
export type TransposedWeights = {blocks: BlockTransposed[], output?: GgmlTensor, arange: GgmlTensor,
    /** F32 E × E identity, for a mixture of experts' router backward. */
    eye?: GgmlTensor,
    ctx: GgmlContext, buffer: GgmlBuffer, sizeBytes: number};

export type PrepareTransposedOptions = {
    /** Precompute Wᵀ of the blocks from `fromBlock` and of the output projection. Defaults to `false`. */
    precompute?: boolean
};

const CHUNK_ROWS = 4096;
/** Weights per slice of Wᵀ made in the graph: the slice costs 6 bytes a weight (F32 dequantised, F16 transposed). */
export const TRANSPOSE_SLICE_WEIGHTS = 16 * 1024 * 1024;

/** The type Wᵀ is held in: F32 models keep F32; F16 and quantised ones (the backward uses their dequantised weights) use F16. */
export function transposedType(w: LinearWeights): number {
    return w.type === GgmlType.F32 ? GgmlType.F32 : GgmlType.F16;
}

/** The arange index, and with `precompute` the Wᵀ copies. */
export async function prepareTransposedWeights(ggml: Ggml, backend: GgmlBackend, weights: ModelWeights, fromBlock: number,
    options: PrepareTransposedOptions = {}): Promise<TransposedWeights> {
    const jobs: {src: LinearWeights, dst: GgmlTensor}[] = [];
    const ctx = GgmlContext.create(ggml, {maxTensors: 8 + weights.blocks.length * 8});
    const make = (src: LinearWeights): GgmlTensor => {
        const dst = ctx.newTensor(transposedType(src), [src.outDim, src.inDim], `${src.name}.weight.T`);
        jobs.push({src, dst});
        return dst;
    };
    const blocks: BlockTransposed[] = weights.blocks.map((b, l) => {
        const out: BlockTransposed = {};
        if (options.precompute && l >= fromBlock) for (const p of projectionNames) out[p] = make(b.linear[p]);
        return out;
    });
    const output = weights.output && options.precompute ? make(weights.output.linear) : undefined;
    const moe = weights.blocks.map((b) => b.moe).filter((m) => m !== undefined);
    const longest = Math.max(1, weights.output?.linear.outDim ?? 0, ...weights.blocks.flatMap((b) => projectionNames.map((p) => b.linear[p].outDim)),
        ...moe.flatMap((m) => [m.router.outDim, m.gate.outDim, m.up.outDim, m.down.outDim]));
    const arange = ctx.newTensor(GgmlType.I32, [longest], "arange");
    const nExpert = moe[0]?.router.outDim;
    const eye = nExpert ? ctx.newTensor(GgmlType.F32, [nExpert, nExpert], "experts_eye") : undefined;
    const buffer = backend.allocateTensors(ctx);
    try {
        ggml.write(arange, Int32Array.from({length: longest}, (_, i) => i));
        if (eye && nExpert) writeIdentity(ggml, eye, nExpert);
        for (const job of jobs) await transposeInto(ggml, backend, job.src, job.dst);
    } catch (err) {
        buffer.dispose();
        ctx.dispose();
        throw err;
    }
    return {blocks, output, arange, eye, ctx, buffer, sizeBytes: buffer.sizeBytes};
}

/** Matrix products per transposedProduct of w, for graph node budgets. */
export function transposedSlices(w: Pick<LinearWeights, "inDim" | "outDim">, sliceWeights = TRANSPOSE_SLICE_WEIGHTS): number {
    return Math.ceil(w.outDim / Math.max(1, Math.floor(sliceWeights / w.inDim)));
}

/**
 * dx (C_in, N) = Wᵀ·dy for dy (C_out, N), with Wᵀ made in the graph a slice of C_out rows at a time: get_rows
 * dequantises the rows of W (any type) to F32, a cast transposes them into the backward's type, and the slice's
 * product with the matching rows of dy is added up. Each slice's memory is the graph allocator's, free again after
 * its product. `precomputed` (ne [C_out, C_in]) short-cuts to one product.
 */
export function transposedProduct(ctx: GgmlContext, w: LinearWeights, arange: GgmlTensor, dy: GgmlTensor, precomputed?: GgmlTensor,
    sliceWeights = TRANSPOSE_SLICE_WEIGHTS): GgmlTensor {
    if (precomputed) return ctx.mulMat(precomputed, dy);
    const [rowsAll, N] = ctx.shape(dy);
    if (rowsAll !== w.outDim) throw new Error(`internal: Wᵀ·dy with dy of ${rowsAll} rows for ${w.name} (${w.outDim} outputs)`);
    const strides = ctx.strides(dy);
    const y = strides[0] === 4 && strides[1] === 4 * rowsAll ? dy : ctx.cont(dy);
    const sliceRows = Math.max(1, Math.floor(sliceWeights / w.inDim));
    let dx: GgmlTensor | undefined;
    for (let r0 = 0; r0 < w.outDim; r0 += sliceRows) {
        const rows = Math.min(sliceRows, w.outDim - r0);
        const slice = w.type === GgmlType.F32
            ? ctx.cont(ctx.transpose(ctx.view(w.w, [w.inDim, rows], r0 * w.inDim * 4)))
            : ctx.cast(ctx.transpose(ctx.getRows(w.w, ctx.view(arange, [rows], r0 * 4))), transposedType(w)); // ne [rows, C_in]
        const part = ctx.mulMat(slice, ctx.view(y, [rows, N], r0 * 4, [4 * rowsAll]));
        dx = dx ? ctx.add(dx, part) : part;
    }
    return dx!;
}

/** dst[o, i] = W[i, o], in chunks of rows so a huge vocabulary never needs a whole F32 copy. get_rows dequantizes any type. */
async function transposeInto(ggml: Ggml, backend: GgmlBackend, src: LinearWeights, dst: GgmlTensor): Promise<void> {
    const dstStrides = ggml.strides(dst);
    const elementBytes = ggml.typeSizeBytes(ggml.typeOf(dst));
    for (let r0 = 0; r0 < src.outDim; r0 += CHUNK_ROWS) {
        const rows = Math.min(CHUNK_ROWS, src.outDim - r0);
        using ctx = GgmlContext.create(ggml, {maxTensors: 8, maxGraphNodes: 8});
        const idx = ctx.markInput(ctx.newTensor(GgmlType.I32, [rows]));
        const dense = ctx.getRows(src.w, idx); // (C_in, rows) F32
        const window = ctx.view(dst, [rows, src.inDim], r0 * elementBytes, [dstStrides[1]]);
        const graph = ctx.newGraph(8);
        graph.expand(ctx.copy(ctx.transpose(dense), window));
        using allocator = backend.createAllocator();
        allocator.allocate(graph);
        ggml.write(idx, Int32Array.from({length: rows}, (_, i) => r0 + i));
        await backend.compute(graph);
    }
}

/** The identity matrix a mixture of experts' router backward scatters with. */
function writeIdentity(ggml: Ggml, eye: GgmlTensor, E: number): void {
    const data = new Float32Array(E * E);
    for (let e = 0; e < E; e++) data[e * E + e] = 1;
    ggml.write(eye, data);
}
