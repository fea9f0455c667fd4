import type {GgmlContext} from "../ggml/ggml-context.js";
import type {GgmlTensor} from "../ggml/ggml.js";
import {GgmlType} from "../model/ggml-type.js";
import type {MoeHparams} from "../model/model-hparams.js";
import type {ExpertWeights, MoeWeights} from "./model-weights.js";
import {transposedProduct} from "./transposed-weights.js";

/**
 * The routed half of qwen2moe's FFN and the shared expert's gate, as llama.cpp's build_moe_ffn and qwen2moe graph
 * compute them (the shared expert's MLP itself is the block's gate/up/down linears, LoRA included).
 * Shapes: C width, E experts, k used per token, F expert width, N tokens.
 */

/** Activations the backward needs. h: FFN input (C, N); probs (E, N); sel I32 (k, N); wts (1, k, N); g, u (F, k, N); d (C, k, N); gi (1, N); sig (1, N). */
export type MoeSaved = {h: GgmlTensor, probs: GgmlTensor, sel: GgmlTensor, wts: GgmlTensor, g: GgmlTensor, u: GgmlTensor, d: GgmlTensor, gi: GgmlTensor, sig: GgmlTensor};

/** Σ_j t[:, j, :] over the k slots of (C, k, N), in slot order as llama.cpp adds them. */
function sumSlots(ctx: GgmlContext, t: GgmlTensor): GgmlTensor {
    const [C, k, N] = ctx.shape(t);
    const nb = ctx.strides(t);
    let sum: GgmlTensor | undefined;
    for (let j = 0; j < k; j++) {
        const slot = ctx.view(t, [C, N], j * nb[1], [nb[2]]);
        sum = sum ? ctx.add(sum, slot) : slot;
    }
    return k === 1 ? ctx.cont(sum!) : sum!;
}

/** Routed experts' output (C, N) and the shared expert's gate σ(w·h) (1, N), for FFN input h (C, N). */
export function moeForward(ctx: GgmlContext, w: MoeWeights, moe: MoeHparams, h: GgmlTensor): {routed: GgmlTensor, sig: GgmlTensor, saved: MoeSaved} {
    const [C, N] = ctx.shape(h);
    const {nExpert: E, nExpertUsed: k} = moe;
    // Kept out of the graph allocator's reuse (as an output is): measured, without it the routed backward's
    // gradients came out wrong by an order of magnitude (moe-ffn-gradients.test.ts). E floats a token.
    const probs = ctx.markOutput(ctx.softMax(ctx.mulMat(w.router.w, h), null, 1)); // (E, N)
    const sel = ctx.argsortTopK(probs, k); // (k, N)
    let wts = ctx.getRows(ctx.reshape(probs, [1, E, N]), sel); // (1, k, N)
    if (moe.weightsScale !== 0 && moe.weightsScale !== 1) wts = ctx.scale(wts, moe.weightsScale);
    const h3 = ctx.reshape(h, [C, 1, N]);
    const u = ctx.mulMatId(w.up.w, h3, sel); // (F, k, N)
    const g = ctx.mulMatId(w.gate.w, h3, sel);
    const d = ctx.mulMatId(w.down.w, ctx.swiglu(g, u), sel); // (C, k, N)
    const routed = sumSlots(ctx, ctx.mul(d, wts));
    // The shared expert's gate: llama.cpp writes the sigmoid as silu(x) / x.
    const gi = ctx.mulMat(w.shexpGate, h); // (1, N)
    const sig = ctx.div(ctx.silu(gi), gi);
    return {routed, sig, saved: {h, probs, sel, wts, g, u, d, gi, sig}};
}

/** What the MoE backward needs besides the weights: arange (I32, long enough for any expert's rows), eye (F32 E × E). */
export type MoeBackwardInputs = {arange: GgmlTensor, eye: GgmlTensor, transposeSlice?: number};

/**
 * Backward of the routed experts given dy (C, N), the gradient of the FFN output: the gradient reaching h (C, N)
 * through the experts and through the router's weights (top-k selection itself is piecewise constant).
 */
export function moeRoutedBackward(ctx: GgmlContext, w: MoeWeights, moe: MoeHparams, saved: MoeSaved, dy: GgmlTensor, inputs: MoeBackwardInputs): GgmlTensor {
    const {h, probs, sel, wts, g, u, d} = saved;
    const [C, N] = ctx.shape(h);
    const {nExpert: E, nExpertUsed: k} = moe;
    const dy3 = ctx.reshape(ctx.cont(dy), [C, 1, N]);
    // out = Σ_j wts_j·d_j  →  dwts_j = ⟨dy, d_j⟩;  dd_j = wts_j·dy.
    const dWts = ctx.sumRows(ctx.mul(d, dy3)); // (1, k, N)
    const dd = ctx.mul(ctx.repeat(dy3, d), wts); // (C, k, N)
    const dAct = ctx.mulMatId(expertsTransposed(ctx, w.down, inputs.arange), dd, sel); // (F, k, N)
    const dg = ctx.siluBack(ctx.mul(dAct, u), g);
    const du = ctx.mul(dAct, ctx.silu(g));
    const dhExperts = ctx.add(
        sumSlots(ctx, ctx.mulMatId(expertsTransposed(ctx, w.gate, inputs.arange), dg, sel)),
        sumSlots(ctx, ctx.mulMatId(expertsTransposed(ctx, w.up, inputs.arange), du, sel))
    );
    // Router: scatter dwts back onto the E probabilities with one-hot rows of the identity, then softmax's backward.
    const scaled = moe.weightsScale !== 0 && moe.weightsScale !== 1 ? ctx.scale(dWts, moe.weightsScale) : dWts;
    const oneHot = ctx.reshape(ctx.getRows(inputs.eye, ctx.reshape(ctx.cont(sel), [k * N])), [E, k, N]);
    const dProbs3 = ctx.sumRows(ctx.cont(ctx.permute(ctx.mul(oneHot, scaled), 1, 0, 2, 3))); // (1, E, N)
    const dLogits = ctx.softMaxBack(ctx.reshape(dProbs3, [E, N]), probs, 1);
    const dhRouter = transposedProduct(ctx, w.router, inputs.arange, dLogits, undefined, inputs.transposeSlice);
    return ctx.add(dhExperts, dhRouter);
}

/**
 * Backward of the shared expert's gate: given dy (C, N) and the shared MLP's output m (C, N), the gradient dy ⊙ σ
 * that reaches the MLP, and the one reaching h (C, N) through σ(w·h).
 */
export function sharedGateBackward(ctx: GgmlContext, w: MoeWeights, saved: MoeSaved, dy: GgmlTensor, m: GgmlTensor): {dMlp: GgmlTensor, dh: GgmlTensor} {
    const {sig} = saved;
    const dSig = ctx.sumRows(ctx.mul(dy, m)); // (1, N)
    const dGi = ctx.mul(dSig, ctx.mul(sig, ctx.scaleBias(sig, -1, 1))); // σ' = σ(1 − σ)
    return {dMlp: ctx.mul(dy, sig), dh: ctx.mul(ctx.repeat(w.shexpGate, dy), dGi)}; // w ⊗ dGi
}

/**
 * Every expert's Wᵀ (ne [C_out, C_in, E]) made in the graph: get_rows dequantises each expert's rows (any type),
 * a cast transposes them into F16 (F32 weights stay F32). The product then runs through mul_mat_id like the forward.
 */
export function expertsTransposed(ctx: GgmlContext, w: ExpertWeights, arange: GgmlTensor): GgmlTensor {
    if (w.type === GgmlType.F32) return ctx.cont(ctx.transpose(w.w));
    // The same row indices 0..C_out-1 for every expert: a view of arange with a zero stride between experts.
    const rows = ctx.view(arange, [w.outDim, w.nExpert], 0, [0]);
    return ctx.cast(ctx.transpose(ctx.getRows(w.w, rows)), GgmlType.F16);
}
