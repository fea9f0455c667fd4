import type {GgmlBackend} from "../ggml/ggml-backend.js";
import type {GgmlBuffer} from "../ggml/ggml-buffer.js";
import {GgmlContext} from "../ggml/ggml-context.js";
import type {Ggml, GgmlTensor} from "../ggml/ggml.js";
import {projectionNames} from "../model/architecture.js";
import {GgmlType} from "../model/ggml-type.js";
import type {LinearWeights, ModelWeights} from "./model-weights.js";
import type {BlockTransposed} from "./transformer-block.js";

/**
 * Wᵀ copies of the frozen projections, made once before training. The backward's input gradients (dx = Wᵀ·dy) then
 * run as ordinary matrix products, which ggml makes several times faster than its out_prod. F32 weights keep F32;
 * F16 and quantized ones are stored as F16 (the backward of a quantized model uses its dequantized weights).
 */
export type TransposedWeights = {blocks: BlockTransposed[], output?: GgmlTensor, ctx: GgmlContext, buffer: GgmlBuffer, sizeBytes: number};

const CHUNK_ROWS = 4096;

/** Transposed copies of the projections of blocks `fromBlock`.. and of the output projection. */
export async function prepareTransposedWeights(ggml: Ggml, backend: GgmlBackend, weights: ModelWeights, fromBlock: number): Promise<TransposedWeights> {
    const jobs: {src: LinearWeights, dst: GgmlTensor}[] = [];
    const ctx = GgmlContext.create(ggml, {maxTensors: 8 + weights.blocks.length * 8});
    const make = (src: LinearWeights): GgmlTensor => {
        const type = src.type === GgmlType.F32 ? GgmlType.F32 : GgmlType.F16;
        const dst = ctx.newTensor(type, [src.outDim, src.inDim], `${src.name}.weight.T`);
        jobs.push({src, dst});
        return dst;
    };
    const blocks: BlockTransposed[] = weights.blocks.map((b, l) => {
        const out: BlockTransposed = {};
        if (l >= fromBlock) for (const p of projectionNames) out[p] = make(b.linear[p]);
        return out;
    });
    const output = weights.output ? make(weights.output.linear) : undefined;
    const buffer = backend.allocateTensors(ctx);
    try {
        for (const job of jobs) await transposeInto(ggml, backend, job.src, job.dst);
    } catch (err) {
        buffer.dispose();
        ctx.dispose();
        throw err;
    }
    return {blocks, output, ctx, buffer, sizeBytes: buffer.sizeBytes};
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
