import type {GgmlContext} from "../ggml/ggml-context.js";
import type {GgmlTensor} from "../ggml/ggml.js";

/** Probabilities are clamped here before the log, so a hopeless token costs at most −log(1e-30) ≈ 69 nats. */
export const MIN_PROB = 1e-30;

/**
 * Cross-entropy of the target tokens, weighted per row, and its gradient. logits (V, M); labels I32 (1, M);
 * weights F32 (1, M): each row's share of the step's loss (0 for padding rows).
 * loss = −Σ_m w_m·log softmax(z_m)[y_m];  dz_m = w_m·(softmax(z_m) − onehot(y_m)).
 */
export function sftLoss(ctx: GgmlContext, logits: GgmlTensor, labels: GgmlTensor, weights: GgmlTensor): {loss: GgmlTensor, dLogits: GgmlTensor} {
    const [V, M] = ctx.shape(logits);
    const probs = ctx.reshape(ctx.softMax(logits, null, 1), [1, V, M]);
    const picked = ctx.getRows(probs, labels); // (1, 1, M)
    const loss = ctx.scale(ctx.sum(ctx.mul(ctx.log(ctx.clamp(ctx.reshape(picked, [1, M]), MIN_PROB, 1)), weights)), -1);
    // softmax − onehot: overwrite the picked entries with p − 1 (in place), then weight the rows.
    const minusOne = ctx.setRows(probs, ctx.scaleBias(picked, 1, -1), labels);
    return {loss, dLogits: ctx.mul(ctx.reshape(minusOne, [V, M]), weights)};
}
