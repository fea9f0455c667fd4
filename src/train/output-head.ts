import type {GgmlContext} from "../ggml/ggml-context.js";
import type {GgmlTensor} from "../ggml/ggml.js";
import type {ModelWeights} from "./model-weights.js";
import {normGainGrad} from "./transformer-block.js";

type Output = NonNullable<ModelWeights["output"]>;

/** Graph node budget per output-head chunk (its losses and gradient), with margin. */
export const NODES_PER_HEAD_CHUNK = 64;

/** Logits of one head chunk stay near this size: a few F32 (V, chunk) tensors live at once. */
export const HEAD_CHUNK_BYTES = 64 * 1024 * 1024;

/** Scored positions per output-head chunk for a vocabulary of V tokens: a multiple of 16, at least 16. */
export function headChunkRows(V: number): number {
    return Math.max(16, Math.floor(HEAD_CHUNK_BYTES / (4 * V) / 16) * 16);
}

/** xs: final hidden states of the selected rows (C, M) before the norm. */
export type OutputSaved = {xs: GgmlTensor, like: GgmlTensor};

/**
 * Logits (V, M) for the M positions in `rows` (I32, indices into the N tokens) only: the vocabulary projection is
 * the largest matrix of a small model, and the prompt's positions need none.
 */
export function outputForward(ctx: GgmlContext, out: Output, x: GgmlTensor, rows: GgmlTensor, rmsEps: number): {logits: GgmlTensor, saved: OutputSaved} {
    const xs = ctx.getRows(x, rows);
    const projected = ctx.mulMat(out.linear.w, ctx.mul(ctx.rmsNorm(xs, rmsEps), out.norm));
    const logits = out.linear.bias ? ctx.add(projected, out.linear.bias) : projected;
    return {logits, saved: {xs, like: x}};
}

/** Where a full-parameter backward adds the head's gradients: the projection's (the token embedding's when tied) and the norm's. */
export type OutputGrads = {w: GgmlTensor, norm: GgmlTensor, updates: GgmlTensor[]};

/** dx (C, N) given dLogits (V, M); frozenProduct(dy) is Wᵀ·dy with the output projection. */
export function outputBackward(ctx: GgmlContext, out: Output, frozenProduct: (dy: GgmlTensor) => GgmlTensor, saved: OutputSaved, rows: GgmlTensor, dLogits: GgmlTensor, rmsEps: number,
    grads?: OutputGrads): GgmlTensor {
    if (grads) {
        // dW (C, V) = hn·dLogitsᵀ with hn = rmsNorm(xs) ⊙ g, recomputed (C × M, small beside the logits).
        grads.updates.push(ctx.addInPlace(grads.w, ctx.outProd(ctx.mul(ctx.rmsNorm(saved.xs, rmsEps), out.norm), dLogits)));
    }
    const dNormed = frozenProduct(dLogits);
    if (grads) grads.updates.push(ctx.addInPlace(grads.norm, normGainGrad(ctx, saved.xs, dNormed, rmsEps)));
    const dxs = ctx.rmsNormBack(ctx.mul(dNormed, out.norm), saved.xs, rmsEps);
    return ctx.getRowsBack(dxs, rows, saved.like);
}
