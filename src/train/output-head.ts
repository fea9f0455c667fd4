import type {GgmlContext} from "../ggml/ggml-context.js";
import type {GgmlTensor} from "../ggml/ggml.js";
import type {ModelWeights} from "./model-weights.js";

type Output = NonNullable<ModelWeights["output"]>;

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

/** dx (C, N) given dLogits (V, M); outT is the transposed output projection, ne [V, C]. */
export function outputBackward(ctx: GgmlContext, out: Output, outT: GgmlTensor, saved: OutputSaved, rows: GgmlTensor, dLogits: GgmlTensor, rmsEps: number): GgmlTensor {
    const dNormed = ctx.mulMat(outT, dLogits);
    const dxs = ctx.rmsNormBack(ctx.mul(dNormed, out.norm), saved.xs, rmsEps);
    return ctx.getRowsBack(dxs, rows, saved.like);
}
