import type {GgmlTensor} from "../ggml/ggml.js";
import {isExpertTarget, type ProjectionName} from "../model/architecture.js";
import {attentionBackward, attentionForward, type AttentionEnv, type AttentionSaved} from "./attention.js";
import {linearBackward, linearForward, type LinearSaved, type LoraApplication} from "./lora-linear.js";
import type {BlockWeights} from "./model-weights.js";
import type {LoraModuleState} from "./lora-tensors.js";
import {accumulateExpertGrads, moeForward, moeRoutedBackward, sharedGateBackward, type ExpertLoraGrads, type ExpertTarget, type MoeBackwardInputs, type MoeLora, type MoeSaved} from "./moe-ffn.js";
import type {MoeHparams} from "../model/model-hparams.js";
import type {BlockGrads} from "./trainable-weights.js";

export type BlockEnv = AttentionEnv & {rmsEps: number, moe?: MoeHparams};

/** The LoRA applied to each adapted projection of one block, and to its routed expert tensors. */
export type BlockLora = Partial<Record<ProjectionName, LoraApplication>> & {experts?: MoeLora};

/** Adds one adapter module to a block's LoRA: a projection's, or a routed expert tensor's (trained without dropout). */
export function addBlockLora(out: BlockLora, m: LoraModuleState, training?: LoraApplication["training"]): void {
    if (isExpertTarget(m.target)) {
        const name = m.target.replace("_exps", "") as ExpertTarget;
        (out.experts ??= {})[name] = {a: m.a, b: m.b, scale: m.scale, training: training !== undefined, gradA: m.gradA, gradB: m.gradB};
    } else {
        out[m.target] = {module: m, training};
    }
}

/**
 * Activations of one block kept for its backward. x: block input (C, N); x1: after attention; g, u: (F, N) of the
 * MLP (the shared expert's in a mixture of experts, whose output `mlp` (C, N) and routing `moe` are kept too).
 */
export type BlockSaved = {x: GgmlTensor, x1: GgmlTensor, g: GgmlTensor, u: GgmlTensor, attention: AttentionSaved, linear: Record<ProjectionName, LinearSaved>,
    mlp?: GgmlTensor, moe?: MoeSaved};

/** Precomputed frozen Wᵀ of each projection (ne [C_out, C_in]); the backward multiplies by them to reach a block's input. */
export type BlockTransposed = Partial<Record<ProjectionName, GgmlTensor>>;

/** One pre-norm block: x + attn(norm(x)), then + swiglu-mlp(norm(·)). Input and output are (C, N). */
export function blockForward(env: BlockEnv, w: BlockWeights, x: GgmlTensor, lora: BlockLora = {}): {out: GgmlTensor, saved: BlockSaved} {
    const {ctx} = env;
    const lin = (name: ProjectionName, input: GgmlTensor) => linearForward(ctx, input, w.linear[name], lora[name]);
    const h1 = ctx.mul(ctx.rmsNorm(x, env.rmsEps), w.attnNorm);
    const q = lin("q", h1), k = lin("k", h1), v = lin("v", h1);
    const attention = attentionForward(env, q.y, k.y, v.y);
    const o = lin("o", attention.out);
    const x1 = ctx.add(x, o.y);
    const h2 = ctx.mul(ctx.rmsNorm(x1, env.rmsEps), w.ffnNorm);
    // A mixture of experts routes h2 first, as llama.cpp's qwen2moe graph does; then its shared expert is this MLP.
    const routing = w.moe && env.moe ? moeForward(ctx, w.moe, env.moe, h2, lora.experts) : undefined;
    const g = lin("gate", h2), u = lin("up", h2);
    const down = lin("down", ctx.swiglu(g.y, u.y));
    const ffn = routing ? ctx.add(routing.routed, ctx.mul(down.y, routing.sig)) : down.y;
    return {
        out: ctx.add(x1, ffn),
        saved: {x, x1, g: g.y, u: u.y, attention: attention.saved, linear: {q: q.saved, k: k.saved, v: v.saved, o: o.saved, gate: g.saved, up: u.saved, down: down.saved},
            mlp: routing ? down.y : undefined, moe: routing?.saved}
    };
}

/** Wᵀ·dy with a projection's frozen W: a product with a precomputed copy, or slices of Wᵀ made in the graph (transposedProduct). */
export type FrozenProduct = (name: ProjectionName, dy: GgmlTensor) => GgmlTensor;

/**
 * Backward of blockForward given dOut (C, N): accumulates the block's LoRA gradients and returns dx (C, N), or
 * undefined when `needInputGrad` is false (the lowest adapted block). `schedule` receives the accumulating ops and
 * the intermediate results in the order they should run: the graph is expanded in that order, so each slice of Wᵀ
 * made in the graph is built just before its product and freed after it, rather than all at the start of the backward.
 */
export function blockBackward(env: BlockEnv, w: BlockWeights, frozen: FrozenProduct, saved: BlockSaved, dOut: GgmlTensor, lora: BlockLora,
    needInputGrad: boolean, schedule: GgmlTensor[], moeInputs?: MoeBackwardInputs, grads?: BlockGrads): GgmlTensor | undefined {
    const {ctx} = env;
    const step = (t: GgmlTensor) => {
        schedule.push(t);
        return t;
    };
    const back = (name: ProjectionName, dy: GgmlTensor, wantInput: boolean) => {
        const dx = linearBackward(ctx, dy, saved.linear[name], wantInput ? (dy) => frozen(name, dy) : undefined, lora[name], schedule, grads?.linear[name]);
        return dx && step(dx);
    };
    // A mixture of experts: the routed experts' and the shared gate's share of dh2; the shared MLP gets dOut ⊙ σ.
    let dMlp = dOut, dh2Moe: GgmlTensor | undefined;
    if (w.moe && env.moe && saved.moe && saved.mlp) {
        if (!moeInputs) throw new Error("internal: a mixture-of-experts backward needs the arange and identity inputs");
        const shared = sharedGateBackward(ctx, w.moe, saved.moe, dOut, saved.mlp);
        dMlp = shared.dMlp;
        const grads: ExpertLoraGrads = {};
        dh2Moe = step(ctx.add(moeRoutedBackward(ctx, w.moe, env.moe, saved.moe, dOut, moeInputs, lora.experts, grads), shared.dh));
        if (lora.experts) accumulateExpertGrads(ctx, lora.experts, grads, schedule);
    }
    // MLP: down(silu(g) ⊙ u)
    const dm = back("down", dMlp, true)!;
    const dg = ctx.siluBack(ctx.mul(dm, saved.u), saved.g);
    const du = ctx.mul(dm, ctx.silu(saved.g));
    const dh2Mlp = ctx.add(back("gate", dg, true)!, back("up", du, true)!);
    const dh2 = dh2Moe ? ctx.add(dh2Mlp, dh2Moe) : dh2Mlp;
    if (grads) schedule.push(ctx.addInPlace(grads.ffnNorm, normGainGrad(ctx, saved.x1, dh2, env.rmsEps)));
    const dx1 = step(ctx.add(dOut, ctx.rmsNormBack(ctx.mul(dh2, w.ffnNorm), saved.x1, env.rmsEps)));
    // Attention.
    const dAttn = back("o", dx1, true)!;
    const {dq, dk, dv} = attentionBackward(env, dAttn, saved.attention);
    const dqIn = back("q", dq, needInputGrad), dkIn = back("k", dk, needInputGrad), dvIn = back("v", dv, needInputGrad);
    if (!needInputGrad) return undefined;
    const dh1 = ctx.add(ctx.add(dqIn!, dkIn!), dvIn!);
    if (grads) schedule.push(ctx.addInPlace(grads.attnNorm, normGainGrad(ctx, saved.x, dh1, env.rmsEps)));
    return step(ctx.add(dx1, ctx.rmsNormBack(ctx.mul(dh1, w.attnNorm), saved.x, env.rmsEps)));
}

/** Gradient of the gain g in y = rmsNorm(x) ⊙ g given dy (C, N): Σ over tokens of rmsNorm(x) ⊙ dy, ne [C]. */
export function normGainGrad(ctx: BlockEnv["ctx"], x: GgmlTensor, dy: GgmlTensor, eps: number): GgmlTensor {
    const [C] = ctx.shape(x);
    return ctx.reshape(ctx.sumRows(ctx.cont(ctx.transpose(ctx.mul(ctx.rmsNorm(x, eps), dy)))), [C]);
}
