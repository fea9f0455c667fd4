import type {GgmlContext, RopeParams} from "../ggml/ggml-context.js";
import type {GgmlTensor} from "../ggml/ggml.js";

/**
 * The shapes and inputs attention needs. Sequences are right-padded to T tokens and laid end to end: token n of the
 * batch is position n mod T of sequence ⌊n / T⌋, so N = B·T. D head size, H query heads, Hkv key/value heads.
 */
export type AttentionEnv = {
    ctx: GgmlContext,
    B: number, T: number, D: number, H: number, Hkv: number,
    rope: RopeParams,
    /** I32 (N): position of each token in its sequence. */
    positions: GgmlTensor,
    /** F32 (T, T): 0 where a query may see a key, -inf elsewhere (causal). Right padding needs nothing more. */
    mask: GgmlTensor,
    ropeFreqs?: GgmlTensor
};

/** qr, kr: roped q (D, H, T, B) and k (D, Hkv, T, B); v: (D, Hkv, T, B); p: attention weights (T_k, T_q, H, B). */
export type AttentionSaved = {qr: GgmlTensor, kr: GgmlTensor, v: GgmlTensor, p: GgmlTensor};

/** Causal multi-head attention with grouped-query heads, as llama.cpp computes it without flash attention. */
export function attentionForward(env: AttentionEnv, q: GgmlTensor, k: GgmlTensor, v: GgmlTensor): {out: GgmlTensor, saved: AttentionSaved} {
    const {ctx, B, T, D, H, Hkv} = env;
    const N = B * T;
    const qr = ctx.reshape(ctx.rope(ctx.reshape(q, [D, H, N]), env.positions, env.ropeFreqs ?? null, env.rope), [D, H, T, B]);
    const kr = ctx.reshape(ctx.rope(ctx.reshape(k, [D, Hkv, N]), env.positions, env.ropeFreqs ?? null, env.rope), [D, Hkv, T, B]);
    const v4 = ctx.reshape(v, [D, Hkv, T, B]);
    // scores (T_k, T_q, H, B): each query head h reads key head ⌊h / (H / Hkv)⌋ through mul_mat's broadcast.
    const scores = ctx.mulMat(ctx.permute(kr, 0, 2, 1, 3), ctx.permute(qr, 0, 2, 1, 3));
    const p = ctx.softMax(scores, env.mask, 1 / Math.sqrt(D));
    const vt = ctx.cont(ctx.permute(v4, 1, 2, 0, 3)); // (T, D, Hkv, B)
    const o = ctx.mulMat(vt, p); // (D, T_q, H, B)
    const out = ctx.reshape(ctx.cont(ctx.permute(o, 0, 2, 1, 3)), [D * H, N]);
    return {out, saved: {qr, kr, v: v4, p}};
}

/** Gradients of q, k, v (before rope) given dOut (D·H, N). */
export function attentionBackward(env: AttentionEnv, dOut: GgmlTensor, saved: AttentionSaved): {dq: GgmlTensor, dk: GgmlTensor, dv: GgmlTensor} {
    const {ctx, B, T, D, H, Hkv} = env;
    const N = B * T;
    const {qr, kr, v, p} = saved;
    const dO4 = ctx.reshape(dOut, [D, H, T, B]);
    const dO = ctx.permute(dO4, 0, 2, 1, 3); // (D, T_q, H, B)
    // o[d, q] = Σ_k v[d, k]·p[k, q]  →  dp[k, q] = Σ_d v[d, k]·dO[d, q];  dv[d, k] = Σ_q dO[d, q]·p[k, q]
    const dp = ctx.mulMat(ctx.permute(v, 0, 2, 1, 3), dO);
    const dvFull = ctx.mulMat(ctx.cont(ctx.permute(dO4, 1, 2, 0, 3)), ctx.cont(ctx.transpose(p))); // (D, T_k, H, B)
    // scores[k, q] = Σ_d kr[d, k]·qr[d, q]  →  dq[d, q] = Σ_k kr[d, k]·ds[k, q];  dk[d, k] = Σ_q qr[d, q]·ds[k, q]
    const ds = ctx.softMaxBack(dp, p, 1 / Math.sqrt(D));
    const dq = ctx.mulMat(ctx.cont(ctx.permute(kr, 1, 2, 0, 3)), ds); // (D, T_q, H, B)
    const dkFull = ctx.mulMat(ctx.cont(ctx.permute(qr, 1, 2, 0, 3)), ctx.cont(ctx.transpose(ds))); // (D, T_k, H, B)
    const toTokens = (t: GgmlTensor) => ctx.cont(ctx.permute(t, 0, 2, 1, 3)); // (D, T, heads, B) → (D, heads, T, B)
    const unrope = (t: GgmlTensor, heads: number) =>
        ctx.reshape(ctx.ropeBack(ctx.reshape(toTokens(t), [D, heads, N]), env.positions, env.ropeFreqs ?? null, env.rope), [D * heads, N]);
    return {
        dq: unrope(dq, H),
        dk: unrope(sumGroups(env, dkFull), Hkv),
        dv: ctx.reshape(toTokens(sumGroups(env, dvFull)), [D * Hkv, N])
    };
}

/** (D, T, H, B) → (D, T, Hkv, B): adds up the gradients of the H / Hkv query heads that share each key/value head. */
function sumGroups(env: AttentionEnv, t: GgmlTensor): GgmlTensor {
    const {ctx, B, T, D, H, Hkv} = env;
    const G = H / Hkv;
    if (G === 1) return t;
    // Query head h = kv·G + g, so H splits as (G inner, Hkv outer); bring G innermost and sum rows.
    const grouped = ctx.cont(ctx.permute(ctx.reshape(t, [D * T, G, Hkv, B]), 1, 0, 2, 3)); // (G, D·T, Hkv, B)
    return ctx.reshape(ctx.sumRows(grouped), [D, T, Hkv, B]);
}
