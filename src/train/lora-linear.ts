import type {GgmlContext} from "../ggml/ggml-context.js";
import type {GgmlTensor} from "../ggml/ggml.js";
import type {LinearWeights} from "./model-weights.js";

/**
 * One adapted projection on the backend. a: ne [C_in, r] (= GGUF lora_a), b: ne [r, C_out] (= GGUF lora_b);
 * the update is scale · B·A·x. Gradients, when present, are accumulated into gradA and gradB.
 */
export type LoraModuleTensors = {a: GgmlTensor, b: GgmlTensor, scale: number, gradA?: GgmlTensor, gradB?: GgmlTensor};

/** What a LoRA projection adds in one forward: its tensors and, in training, the dropout mask of its input. */
export type LoraApplication = {module: LoraModuleTensors, dropoutMask?: GgmlTensor};

/** Activations a linear's backward needs. x: (C_in, N) input; xd: dropped-out input; u: (r, N) = A·xd. */
export type LinearSaved = {x: GgmlTensor, xd?: GgmlTensor, u?: GgmlTensor};

/** y (C_out, N) = W·x + scale·B·(A·(x ⊙ mask)) + bias, in llama.cpp's order of operations. */
export function linearForward(ctx: GgmlContext, x: GgmlTensor, w: LinearWeights, lora?: LoraApplication): {y: GgmlTensor, saved: LinearSaved} {
    let y = ctx.mulMat(w.w, x);
    const saved: LinearSaved = {x};
    if (lora) {
        const xd = lora.dropoutMask ? ctx.mul(x, lora.dropoutMask) : x;
        const u = ctx.mulMat(lora.module.a, xd);
        y = ctx.add(y, ctx.scale(ctx.mulMat(lora.module.b, u), lora.module.scale));
        saved.xd = xd;
        saved.u = u;
    }
    if (w.bias) y = ctx.add(y, w.bias);
    return {y, saved};
}

/**
 * Backward of linearForward given dy (C_out, N). Accumulates the LoRA gradients (pushing the accumulating ops to
 * `updates`) and returns dx (C_in, N) when `wt` (the frozen Wᵀ, ne [C_out, C_in]) is given, else undefined.
 */
export function linearBackward(ctx: GgmlContext, dy: GgmlTensor, saved: LinearSaved, wt: GgmlTensor | undefined, lora: LoraApplication | undefined,
    updates: GgmlTensor[]): GgmlTensor | undefined {
    let dx = wt ? ctx.mulMat(wt, dy) : undefined;
    if (lora && saved.u && saved.xd) {
        const {a, b, scale, gradA, gradB} = lora.module;
        // dB (r, C_out) = s·u·dyᵀ; du (r, N) = s·Bᵀ·dy; dA (C_in, r) = xd·duᵀ; dxd (C_in, N) = Aᵀ·du.
        if (gradB) updates.push(ctx.addInPlace(gradB, ctx.scale(ctx.outProd(saved.u, dy), scale)));
        const du = ctx.scale(ctx.mulMat(ctx.cont(ctx.transpose(b)), dy), scale);
        if (gradA) updates.push(ctx.addInPlace(gradA, ctx.outProd(saved.xd, du)));
        if (dx) {
            let dxd = ctx.mulMat(ctx.cont(ctx.transpose(a)), du);
            if (lora.dropoutMask) dxd = ctx.mul(dxd, lora.dropoutMask);
            dx = ctx.add(dx, dxd);
        }
    }
    return dx;
}
