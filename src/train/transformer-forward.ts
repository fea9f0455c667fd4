import type {GgmlContext, RopeParams} from "../ggml/ggml-context.js";
import type {GgmlTensor} from "../ggml/ggml.js";
import {GgmlType} from "../model/ggml-type.js";
import type {ModelHparams} from "../model/model-hparams.js";
import type {ModelWeights} from "./model-weights.js";
import {blockForward, type BlockEnv, type BlockLora, type BlockSaved} from "./transformer-block.js";

/** Rope settings as llama.cpp derives them for llama and qwen2 (linear and YaRN scaling included). */
export function ropeParams(h: ModelHparams): RopeParams {
    const s = h.ropeScaling;
    return {
        nDims: h.ropeDim, mode: h.arch.ropeType === "neox" ? 2 : 0, nCtxOrig: s.nCtxOrig, freqBase: h.ropeTheta, freqScale: s.freqScale,
        extFactor: s.extFactor, attnFactor: s.attnFactor, betaFast: s.betaFast, betaSlow: s.betaSlow
    };
}

/** Graph inputs describing B sequences right-padded to T tokens. */
export type SequenceInputs = {tokens: GgmlTensor, positions: GgmlTensor, mask: GgmlTensor};

export function declareSequenceInputs(ctx: GgmlContext, B: number, T: number): SequenceInputs {
    return {
        tokens: ctx.newTensor(GgmlType.I32, [B * T], "tokens"),
        positions: ctx.newTensor(GgmlType.I32, [B * T], "positions"),
        mask: ctx.newTensor(GgmlType.F32, [T, T], "causal_mask")
    };
}

/** Host data for SequenceInputs: tokens padded with `padToken`, positions 0..T-1 per sequence, a causal mask. */
export function packSequences(sequences: readonly (readonly number[])[], T: number, padToken = 0): {tokens: Int32Array, positions: Int32Array, mask: Float32Array} {
    const B = sequences.length;
    const tokens = new Int32Array(B * T).fill(padToken);
    const positions = new Int32Array(B * T);
    sequences.forEach((seq, b) => {
        if (seq.length > T) throw new Error(`internal: sequence of ${seq.length} tokens does not fit T = ${T}`);
        tokens.set(seq, b * T);
        for (let t = 0; t < T; t++) positions[b * T + t] = t;
    });
    const mask = new Float32Array(T * T);
    for (let q = 0; q < T; q++) for (let k = q + 1; k < T; k++) mask[q * T + k] = -Infinity;
    return {tokens, positions, mask};
}

export type ForwardOptions = {
    /** Blocks to run from the first. Defaults to all loaded. */
    blocks?: number,
    /** The LoRA of each block (by layer index). */
    lora?: (layer: number) => BlockLora
};

/** Token embedding and the first blocks. hidden: (C, N), the residual stream after the last block run. */
export function transformerForward(ctx: GgmlContext, h: ModelHparams, weights: ModelWeights, inputs: SequenceInputs, B: number, T: number,
    options: ForwardOptions = {}): {hidden: GgmlTensor, saved: BlockSaved[], env: BlockEnv} {
    const env: BlockEnv = {
        ctx, B, T, D: h.headDim, H: h.nHead, Hkv: h.nHeadKv, rope: ropeParams(h), positions: inputs.positions, mask: inputs.mask,
        ropeFreqs: weights.ropeFreqs, rmsEps: h.rmsEps, moe: h.moe
    };
    let x = ctx.getRows(weights.tokenEmbd, inputs.tokens);
    const saved: BlockSaved[] = [];
    const n = options.blocks ?? weights.blocks.length;
    for (let l = 0; l < n; l++) {
        const block = blockForward(env, weights.blocks[l]!, x, options.lora?.(l));
        x = block.out;
        saved.push(block.saved);
    }
    return {hidden: x, saved, env};
}
