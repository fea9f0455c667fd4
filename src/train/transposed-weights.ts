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
 * row-major, and runs several times faster than its out_prod, so Wᵀ is materialised:
 * - the output projection's, once before training (F16; F32 for F32 models): its dequantisation is the largest of
 *   the model and would otherwise run for every micro-batch;
 * - the blocks' projections, by default in the graph itself, one projection at a time just before its product
 *   (transposedOnTheFly), so no copy of the blocks ever exists whole. `blocks: true` precomputes them instead
 *   (the reference the on-the-fly path is tested against).
 * `arange` (I32 0..n-1) is the index get_rows dequantises a whole matrix with.
 */
export type TransposedWeights = {blocks: BlockTransposed[], output?: GgmlTensor, arange: GgmlTensor, ctx: GgmlContext, buffer: GgmlBuffer, sizeBytes: number};

export type PrepareTransposedOptions = {
    /** Precompute the blocks' Wᵀ too (2 bytes per weight). Defaults to `false`. */
    blocks?: boolean
};

const CHUNK_ROWS = 4096;

/** The type Wᵀ is held in: F32 models keep F32; F16 and quantised ones (the backward uses their dequantised weights) use F16. */
export function transposedType(w: LinearWeights): number {
    return w.type === GgmlType.F32 ? GgmlType.F32 : GgmlType.F16;
}

/** The output projection's Wᵀ, the arange index, and with `blocks` the Wᵀ of blocks `fromBlock`... */
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
        if (options.blocks && l >= fromBlock) for (const p of projectionNames) out[p] = make(b.linear[p]);
        return out;
    });
    const output = weights.output ? make(weights.output.linear) : undefined;
    const longest = Math.max(1, ...weights.blocks.flatMap((b) => projectionNames.map((p) => b.linear[p].outDim)));
    const arange = ctx.newTensor(GgmlType.I32, [longest], "arange");
    const buffer = backend.allocateTensors(ctx);
    try {
        ggml.write(arange, Int32Array.from({length: longest}, (_, i) => i));
        for (const job of jobs) await transposeInto(ggml, backend, job.src, job.dst);
    } catch (err) {
        buffer.dispose();
        ctx.dispose();
        throw err;
    }
    return {blocks, output, arange, ctx, buffer, sizeBytes: buffer.sizeBytes};
}

/**
 * Wᵀ (ne [C_out, C_in]) of one projection as graph nodes: get_rows dequantises W (any type) to F32, the cast
 * transposes it into the backward's type. Its memory is the graph allocator's, free again after the product.
 */
export function transposedOnTheFly(ctx: GgmlContext, w: LinearWeights, arange: GgmlTensor): GgmlTensor {
    if (w.type === GgmlType.F32) return ctx.cont(ctx.transpose(w.w));
    const dense = ctx.getRows(w.w, ctx.view(arange, [w.outDim])); // (C_in, C_out) F32
    return ctx.cast(ctx.transpose(dense), transposedType(w));
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
