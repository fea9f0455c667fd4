import type {GgmlContext} from "../ggml/ggml-context.js";
import type {GgmlTensor} from "../ggml/ggml.js";
import type {LinearWeights} from "./model-weights.js";

/**
 * One adapted projection on the backend. a: ne [C_in, r] (= GGUF lora_a), b: ne [r, C_out] (= GGUF lora_b);
 * the update is scale · B·A·x. Gradients, when present, are accumulated into gradA and gradB.
 */
export type LoraModuleTensors = {a: GgmlTensor, b: GgmlTensor, scale: number, gradA?: GgmlTensor, gradB?: GgmlTensor};

/**
 * What a LoRA projection adds in one forward. For inference, scale·B·(A·x) in llama.cpp's order of operations. For
 * training the scale moves onto the input, xs = x ⊙ mask (the dropout mask already holds scale / (1 − p) or 0) or
 * xs = scale·x without dropout, which spares the backward three scalings per module.
 */
export type LoraApplication = {module: LoraModuleTensors, training?: {scaledDropoutMask?: GgmlTensor}};

/** Activations a linear's backward needs. x: (C_in, N) input; xs: the adapter's scaled input; u: (r, N) = A·xs. */
export type LinearSaved = {x: GgmlTensor, xs?: GgmlTensor, u?: GgmlTensor};

/** y (C_out, N) = W·x + scale·B·(A·(x ⊙ dropout)) + bias. */
export function linearForward(ctx: GgmlContext, x: GgmlTensor, w: LinearWeights, lora?: LoraApplication): {y: GgmlTensor, saved: LinearSaved} {
    let y = ctx.mulMat(w.w, x);
    const saved: LinearSaved = {x};
    if (lora?.training) {
        const mask = lora.training.scaledDropoutMask;
        const xs = mask ? ctx.mul(x, mask) : ctx.scale(x, lora.module.scale);
        const u = ctx.mulMat(lora.module.a, xs);
        y = ctx.add(y, ctx.mulMat(lora.module.b, u));
        saved.xs = xs;
        saved.u = u;
    } else if (lora) {
        y = ctx.add(y, ctx.scale(ctx.mulMat(lora.module.b, ctx.mulMat(lora.module.a, x)), lora.module.scale));
    }
    if (w.bias) y = ctx.add(y, w.bias);
    return {y, saved};
}

/**
 * Backward of a training linearForward given dy (C_out, N). Accumulates the LoRA gradients, and W's own into `gradW`
 * (ne [C_in, C_out]) in full-parameter training (pushing the accumulating ops to `updates`), and returns dx (C_in, N)
 * when `frozenProduct` (dy ↦ Wᵀ·dy with W as it stands) is given, else undefined.
 */
export function linearBackward(ctx: GgmlContext, dy: GgmlTensor, saved: LinearSaved, frozenProduct: ((dy: GgmlTensor) => GgmlTensor) | undefined, lora: LoraApplication | undefined,
    updates: GgmlTensor[], gradW?: GgmlTensor): GgmlTensor | undefined {
    // dW (C_in, C_out) = x·dyᵀ
    if (gradW) updates.push(ctx.addInPlace(gradW, ctx.outProd(saved.x, dy)));
    let dx = frozenProduct?.(dy);
    if (lora?.training && saved.u && saved.xs) {
        const {a, b, scale, gradA, gradB} = lora.module;
        // dB (r, C_out) = u·dyᵀ; du (r, N) = Bᵀ·dy; dA (C_in, r) = xs·duᵀ; dxs (C_in, N) = A·du.
        if (gradB) updates.push(ctx.addInPlace(gradB, ctx.outProd(saved.u, dy)));
        const du = ctx.mulMat(ctx.cont(ctx.transpose(b)), dy);
        if (gradA) updates.push(ctx.addInPlace(gradA, ctx.outProd(saved.xs, du)));
        if (dx) {
            const dxs = ctx.outProd(a, ctx.transpose(du));
            const mask = lora.training.scaledDropoutMask;
            dx = ctx.add(dx, mask ? ctx.mul(dxs, mask) : ctx.scale(dxs, scale));
        }
    }
    return dx;
}
