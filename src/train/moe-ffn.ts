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

/** The routed expert tensors LoRA can adapt, by the names of MoeWeights (GGUF ffn_gate_exps, ffn_up_exps, ffn_down_exps). */
export type ExpertTarget = "gate" | "up" | "down";
export const expertTargets: readonly ExpertTarget[] = ["gate", "up", "down"];

/**
 * LoRA on one routed expert tensor, one pair per expert, in the layout llama.cpp's build_lora_mm_id multiplies with
 * mul_mat_id: a ne [C_in, r, E] (GGUF lora_a), b ne [r, C_out, E] (GGUF lora_b). The update of a slot routed to
 * expert e is scale · B_e·A_e·x. `training` moves the scale onto the input (as lora-linear.ts does) and keeps what
 * the backward needs; expert LoRA has no dropout.
 */
export type ExpertLora = {a: GgmlTensor, b: GgmlTensor, scale: number, training?: boolean, gradA?: GgmlTensor, gradB?: GgmlTensor};
export type MoeLora = Partial<Record<ExpertTarget, ExpertLora>>;

/** Per-expert gradients of an expert LoRA: dA[e] ne [C_in, r], dB[e] ne [r, C_out] (slices e of a and b). */
export type ExpertLoraGrads = Partial<Record<ExpertTarget, {dA: GgmlTensor[], dB: GgmlTensor[]}>>;

/** Adds each expert's gradients into its slice of the LoRA's gradA/gradB (ne [C_in, r, E], [r, C_out, E]); the ops go to `updates`. */
export function accumulateExpertGrads(ctx: GgmlContext, lora: MoeLora, grads: ExpertLoraGrads, updates: GgmlTensor[]): void {
    for (const name of expertTargets) {
        const l = lora[name], g = grads[name];
        if (!l || !g) continue;
        const into = (acc: GgmlTensor | undefined, parts: GgmlTensor[]) => {
            if (!acc) return;
            const [n0, n1] = ctx.shape(acc);
            parts.forEach((p, e) => updates.push(ctx.addInPlace(ctx.view(acc, [n0!, n1!], e * n0! * n1! * 4), p)));
        };
        into(l.gradA, g.dA);
        into(l.gradB, g.dB);
    }
}

/** A trained expert LoRA's activations: xs (C_in, 1 or k, N) the scaled input; u (r, k, N) = A·xs per slot. */
type ExpertLoraSaved = {xs: GgmlTensor, u: GgmlTensor};

/** Activations the backward needs. h: FFN input (C, N); probs (E, N); sel I32 (k, N); wts (1, k, N); g, u (F, k, N); d (C, k, N); gi (1, N); sig (1, N). */
export type MoeSaved = {h: GgmlTensor, probs: GgmlTensor, sel: GgmlTensor, wts: GgmlTensor, g: GgmlTensor, u: GgmlTensor, d: GgmlTensor, gi: GgmlTensor, sig: GgmlTensor,
    lora?: Partial<Record<ExpertTarget, ExpertLoraSaved>>};

/** mul_mat_id of the expert weights plus, when adapted, the expert LoRA as build_lora_mm_id adds it. x: (C_in, 1 or k, N). */
function expertProduct(ctx: GgmlContext, w: ExpertWeights, x: GgmlTensor, sel: GgmlTensor, lora: ExpertLora | undefined): {y: GgmlTensor, saved?: ExpertLoraSaved} {
    const y = ctx.mulMatId(w.w, x, sel);
    if (!lora) return {y};
    if (!lora.training) return {y: ctx.add(y, ctx.scale(ctx.mulMatId(lora.b, ctx.mulMatId(lora.a, x, sel), sel), lora.scale))};
    const xs = ctx.scale(x, lora.scale);
    const u = ctx.mulMatId(lora.a, xs, sel); // (r, k, N)
    return {y: ctx.add(y, ctx.mulMatId(lora.b, u, sel)), saved: {xs, u}};
}

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
export function moeForward(ctx: GgmlContext, w: MoeWeights, moe: MoeHparams, h: GgmlTensor, lora: MoeLora = {}): {routed: GgmlTensor, sig: GgmlTensor, saved: MoeSaved} {
    const [C, N] = ctx.shape(h);
    const {nExpert: E, nExpertUsed: k} = moe;
    // Kept out of the graph allocator's reuse (as an output is): measured, without it the routed backward's
    // gradients came out wrong by an order of magnitude (moe-ffn-gradients.test.ts). E floats a token.
    const probs = ctx.markOutput(ctx.softMax(ctx.mulMat(w.router.w, h), null, 1)); // (E, N)
    const sel = ctx.argsortTopK(probs, k); // (k, N)
    let wts = ctx.getRows(ctx.reshape(probs, [1, E, N]), sel); // (1, k, N)
    if (moe.weightsScale !== 0 && moe.weightsScale !== 1) wts = ctx.scale(wts, moe.weightsScale);
    const h3 = ctx.reshape(h, [C, 1, N]);
    const up = expertProduct(ctx, w.up, h3, sel, lora.up), gate = expertProduct(ctx, w.gate, h3, sel, lora.gate);
    const u = up.y, g = gate.y; // (F, k, N)
    const down = expertProduct(ctx, w.down, ctx.swiglu(g, u), sel, lora.down);
    const d = down.y; // (C, k, N)
    const routed = sumSlots(ctx, ctx.mul(d, wts));
    const loraSaved = {gate: gate.saved, up: up.saved, down: down.saved};
    // The shared expert's gate: llama.cpp writes the sigmoid as silu(x) / x.
    const gi = ctx.mulMat(w.shexpGate, h); // (1, N)
    const sig = ctx.div(ctx.silu(gi), gi);
    return {routed, sig, saved: {h, probs, sel, wts, g, u, d, gi, sig, lora: loraSaved}};
}

/** What the MoE backward needs besides the weights: arange (I32, long enough for any expert's rows), eye (F32 E × E). */
export type MoeBackwardInputs = {arange: GgmlTensor, eye: GgmlTensor, transposeSlice?: number};

/**
 * Backward of one expert LoRA given dy (C_out, k, N) of its slots: fills grads with each expert's dA and dB and
 * returns dxs·scale, the LoRA's share of the gradient reaching its input, per slot (C_in, k, N).
 *
 * ggml has no backward for mul_mat_id's weights, so the per-expert gradient is built from ops it has: a slot's
 * gradient belongs to the expert that served it, so expert e's dB_e = Σ_slots (u ⊙ [sel = e]) ⊗ dy and
 * dA_e = Σ_slots xs ⊗ (du ⊙ [sel = e]), one out_prod over all k·N slots with the other experts' slots masked to
 * zero (masks: the identity's rows picked by sel). That costs E/k times the arithmetic a gather per expert would, but
 * only on the rank-r factors, and needs no data-dependent shapes, so one graph serves every batch.
 */
function expertLoraBackward(ctx: GgmlContext, lora: ExpertLora, saved: ExpertLoraSaved, dy: GgmlTensor, sel: GgmlTensor, oneHot: GgmlTensor, grads: {dA: GgmlTensor[], dB: GgmlTensor[]}): GgmlTensor {
    const [, k, N] = ctx.shape(dy);
    const [Cin, r, E] = ctx.shape(lora.a);
    const Cout = ctx.shape(lora.b)[1]!;
    const slots = k! * N!;
    // du (r, k, N) = B_eᵀ·dy per slot; dxs (C_in, k, N) = A_eᵀ·du per slot (mul_mat_id with the experts' transposes).
    const du = ctx.mulMatId(ctx.cont(ctx.transpose(lora.b)), dy, sel);
    const dxs = ctx.mulMatId(ctx.cont(ctx.transpose(lora.a)), du, sel);
    // xs is (C_in, 1, N) for gate and up (every slot sees h): repeat it onto the slots.
    const xs = ctx.reshape(ctx.shape(saved.xs)[1] === k ? ctx.cont(saved.xs) : ctx.repeat(saved.xs, ctx.newTensor(GgmlType.F32, [Cin!, k!, N!])), [Cin!, slots]);
    const u2 = ctx.reshape(saved.u, [r!, slots]), du2 = ctx.reshape(du, [r!, slots]), dy2 = ctx.reshape(ctx.cont(dy), [Cout, slots]);
    for (let e = 0; e < E!; e++) {
        const mask = ctx.view(oneHot, [1, slots], e * 4, [E! * 4]); // (1, k·N): 1 where sel = e
        grads.dB.push(ctx.outProd(ctx.mul(u2, mask), dy2)); // (r, C_out)
        grads.dA.push(ctx.outProd(xs, ctx.mul(du2, mask))); // (C_in, r)
    }
    return ctx.scale(dxs, lora.scale);
}

/**
 * Backward of the routed experts given dy (C, N), the gradient of the FFN output: the gradient reaching h (C, N)
 * through the experts and through the router's weights (top-k selection itself is piecewise constant). With expert
 * LoRA (trained in moeForward), `loraGrads` receives each adapted tensor's per-expert gradients.
 */
export function moeRoutedBackward(ctx: GgmlContext, w: MoeWeights, moe: MoeHparams, saved: MoeSaved, dy: GgmlTensor, inputs: MoeBackwardInputs,
    lora: MoeLora = {}, loraGrads: ExpertLoraGrads = {}): GgmlTensor {
    const {h, probs, sel, wts, g, u, d} = saved;
    const [C, N] = ctx.shape(h);
    const {nExpert: E, nExpertUsed: k} = moe;
    const dy3 = ctx.reshape(ctx.cont(dy), [C, 1, N]);
    // out = Σ_j wts_j·d_j  →  dwts_j = ⟨dy, d_j⟩;  dd_j = wts_j·dy.
    const dWts = ctx.sumRows(ctx.mul(d, dy3)); // (1, k, N)
    const dd = ctx.mul(ctx.repeat(dy3, d), wts); // (C, k, N)
    // One-hot rows of the identity for each slot's expert (E, k·N): the router's scatter and the expert LoRA's masks.
    const oneHot2 = ctx.getRows(inputs.eye, ctx.reshape(ctx.cont(sel), [k * N]));
    // A slot's gradient through an adapted tensor: the frozen experts' transposes plus the LoRA's share.
    const through = (name: ExpertTarget, dOut: GgmlTensor): GgmlTensor => {
        const frozen = ctx.mulMatId(expertsTransposed(ctx, w[name], inputs.arange), dOut, sel);
        const l = lora[name], ls = saved.lora?.[name];
        if (!l || !ls) return frozen;
        const grads = loraGrads[name] ??= {dA: [], dB: []};
        return ctx.add(frozen, expertLoraBackward(ctx, l, ls, dOut, sel, oneHot2, grads));
    };
    const dAct = through("down", dd); // (F, k, N)
    const dg = ctx.siluBack(ctx.mul(dAct, u), g);
    const du = ctx.mul(dAct, ctx.silu(g));
    const dhExperts = ctx.add(sumSlots(ctx, through("gate", dg)), sumSlots(ctx, through("up", du)));
    // Router: scatter dwts back onto the E probabilities with the one-hot rows, then softmax's backward.
    const scaled = moe.weightsScale !== 0 && moe.weightsScale !== 1 ? ctx.scale(dWts, moe.weightsScale) : dWts;
    const oneHot = ctx.reshape(oneHot2, [E, k, N]);
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
