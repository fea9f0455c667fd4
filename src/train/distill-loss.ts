import type {GgmlContext} from "../ggml/ggml-context.js";
import type {GgmlTensor} from "../ggml/ggml.js";
import {MIN_PROB} from "./sft-loss.js";

/**
 * Context-distillation loss: T²·KL(p ‖ q) per row, with p the teacher's top-k distribution at temperature T
 * (renormalised over its k tokens) and q = softmax(z / T) the student's over the whole vocabulary.
 * logits (V, M); topTokens I32 (K, M); teacherProbs F32 (1, K, M); weights F32 (1, M) per-row shares.
 * Returns the cross-entropy part lossQ = −Σ_m w_m·T²·Σ_k p·log q (the caller adds the constant Σ w·T²·Σ p·log p)
 * and dz_m = w_m·T·(q_m − p̃_m), p̃ being p scattered into the vocabulary.
 */
export function distillLoss(ctx: GgmlContext, logits: GgmlTensor, topTokens: GgmlTensor, teacherProbs: GgmlTensor, weights: GgmlTensor,
    temperature: number): {lossQ: GgmlTensor, dLogits: GgmlTensor} {
    const [V, M] = ctx.shape(logits);
    const [K] = ctx.shape(topTokens);
    const q = ctx.reshape(ctx.softMax(logits, null, 1 / temperature), [1, V, M]);
    const picked = ctx.getRows(q, topTokens); // (1, K, M)
    const logQ = ctx.reshape(ctx.log(ctx.clamp(picked, MIN_PROB, 1)), [K, M]);
    const t2 = temperature * temperature;
    const lossQ = ctx.scale(ctx.sum(ctx.mul(ctx.mul(logQ, ctx.reshape(teacherProbs, [K, M])), weights)), -t2);
    const qMinusP = ctx.setRows(q, ctx.sub(picked, teacherProbs), topTokens);
    return {lossQ, dLogits: ctx.scale(ctx.mul(ctx.reshape(qMinusP, [V, M]), weights), temperature)};
}
