import {projections, type ProjectionName} from "./architecture.js";
import type {ModelHparams} from "./model-hparams.js";
import type {ReferenceModel} from "./reference-model.js";

/**
 * The plain-TypeScript transformer forward: slow, allocation-happy and written to be read. It is the ground truth
 * that llama.cpp, the ggml trainer and the adapter converters are tested against, so it does each step the
 * textbook way, in float64, with no fused kernels and no caches.
 *
 * Shapes: T tokens, C hidden width, V vocabulary, r LoRA rank, hd head size; a weight with GGUF ne [C_in, C_out]
 * is row-major (C_out, C_in), so y = W·x is y[o] = Σ_i W[o·C_in + i]·x[i].
 */

/** A low-rank update of some projections, in the layout of the model it is applied to. */
export type ReferenceLora = {
    /** Multiplies B·A: alpha / rank for llama.cpp's GGUF adapters (times its per-context scale). */
    scale: number,
    modules: readonly {
        layer: number,
        target: ProjectionName,
        /** (r, C_in) row-major. */
        a: Float32Array,
        /** (C_out, r) row-major. */
        b: Float32Array
    }[]
};

export type ReferenceForwardOptions = {
    /** Adds scale·B·(A·x) to each adapted projection's output, as llama.cpp's build_lora_mm does. Defaults to none. */
    lora?: ReferenceLora,
    /** Also return the residual stream after each block. Defaults to `false`. */
    keepLayerOutputs?: boolean
};

export type ReferenceForwardResult = {
    /** One (V) row of raw logits per input position. */
    logits: Float32Array[],
    /** With keepLayerOutputs: layerOutputs[l][t] is the residual stream (C) after block l at position t. */
    layerOutputs?: Float64Array[][]
};

/** Runs the model over `tokens` (positions 0…T-1, causal) and returns the logits at every position. */
export function referenceForward(model: ReferenceModel, tokens: readonly number[], options: ReferenceForwardOptions = {}): ReferenceForwardResult {
    const h = model.hparams;
    if (h.moe) throw new Error(`reference forward: ${h.arch.name}'s mixture of experts is not written out here; compare its ggml graph with llama.cpp instead`);
    const weight = (name: string): Float32Array => {
        const w = model.tensors.get(name);
        if (!w) throw new Error(`reference forward: tensor ${name} is missing`);
        return w;
    };
    const loraByKey = new Map((options.lora?.modules ?? []).map((m) => [`${m.layer}.${m.target}`, m]));
    const loraScale = options.lora?.scale ?? 0;

    /** y = W·x (+ bias) (+ scale·B·A·x) for one projection of one block. */
    const project = (layer: number, target: ProjectionName, x: Float64Array): Float64Array => {
        const prefix = `blk.${layer}.${projections[target].gguf}`;
        const y = matVec(weight(`${prefix}.weight`), x);
        const bias = model.tensors.get(`${prefix}.bias`);
        if (bias) for (let o = 0; o < y.length; o++) y[o]! += bias[o]!;
        const m = loraByKey.get(`${layer}.${target}`);
        if (m) {
            const ax = matVec(m.a, x);                 // (r)
            const bax = matVec(m.b, ax);               // (C_out)
            for (let o = 0; o < y.length; o++) y[o]! += loraScale * bax[o]!;
        }
        return y;
    };

    const T = tokens.length;
    const embd = weight("token_embd.weight");
    // x[t]: the residual stream (C) at position t.
    const x: Float64Array[] = tokens.map((tok) => {
        if (!Number.isInteger(tok) || tok < 0 || tok >= h.nVocab) throw new Error(`reference forward: token ${tok} is outside the vocabulary (${h.nVocab})`);
        return Float64Array.from(embd.subarray(tok * h.nEmbd, (tok + 1) * h.nEmbd));
    });
    const layerOutputs: Float64Array[][] = [];
    const ropeFreqs = model.tensors.has("rope_freqs.weight") ? weight("rope_freqs.weight") : undefined;
    const groupSize = h.nHead / h.nHeadKv;

    for (let l = 0; l < h.nLayer; l++) {
        // Attention: q (T, nHead·hd), k and v (T, nHeadKv·hd); rope on q and k; causal softmax(q·k / sqrt(hd))·v.
        const q: Float64Array[] = [], k: Float64Array[] = [], v: Float64Array[] = [];
        for (let t = 0; t < T; t++) {
            const xn = rmsNorm(x[t]!, weight(`blk.${l}.attn_norm.weight`), h.rmsEps);
            q.push(rope(project(l, "q", xn), t, h.nHead, h, model.ropeType, ropeFreqs));
            k.push(rope(project(l, "k", xn), t, h.nHeadKv, h, model.ropeType, ropeFreqs));
            v.push(project(l, "v", xn));
        }
        for (let t = 0; t < T; t++) {
            const attn = new Float64Array(h.nHead * h.headDim);
            for (let head = 0; head < h.nHead; head++) {
                const kvHead = Math.floor(head / groupSize);
                const qh = q[t]!.subarray(head * h.headDim, (head + 1) * h.headDim);
                const scores = new Float64Array(t + 1);
                for (let s = 0; s <= t; s++) scores[s] = dot(qh, k[s]!.subarray(kvHead * h.headDim, (kvHead + 1) * h.headDim)) / Math.sqrt(h.headDim);
                const p = softmax(scores);
                for (let s = 0; s <= t; s++)
                    for (let d = 0; d < h.headDim; d++) attn[head * h.headDim + d]! += p[s]! * v[s]![kvHead * h.headDim + d]!;
            }
            addInPlace(x[t]!, project(l, "o", attn));
        }
        // Feed-forward: SwiGLU, down(silu(gate(x)) ⊙ up(x)).
        for (let t = 0; t < T; t++) {
            const xn = rmsNorm(x[t]!, weight(`blk.${l}.ffn_norm.weight`), h.rmsEps);
            const gate = project(l, "gate", xn), up = project(l, "up", xn);
            const act = gate.map((g, i) => silu(g) * up[i]!);
            addInPlace(x[t]!, project(l, "down", act));
        }
        if (options.keepLayerOutputs) layerOutputs.push(x.map((row) => Float64Array.from(row)));
    }

    const output = model.tensors.get("output.weight") ?? embd; // tied embeddings: the embedding doubles as output
    const outputBias = model.tensors.get("output.bias");
    const logits = x.map((row) => {
        const y = matVec(output, rmsNorm(row, weight("output_norm.weight"), h.rmsEps));
        if (outputBias) for (let i = 0; i < y.length; i++) y[i]! += outputBias[i]!;
        return Float32Array.from(y);
    });
    return options.keepLayerOutputs ? {logits, layerOutputs} : {logits};
}

/** W (rows × x.length, row-major) times x. */
function matVec(w: Float32Array, x: Float64Array): Float64Array {
    const n = x.length, rows = w.length / n;
    if (!Number.isInteger(rows)) throw new Error(`reference forward: a ${w.length}-value matrix cannot take a ${n}-vector`);
    const y = new Float64Array(rows);
    for (let o = 0; o < rows; o++) {
        let sum = 0;
        for (let i = 0; i < n; i++) sum += w[o * n + i]! * x[i]!;
        y[o] = sum;
    }
    return y;
}

/** x / sqrt(mean(x²) + eps) ⊙ w. */
function rmsNorm(x: Float64Array, w: Float32Array, eps: number): Float64Array {
    let ss = 0;
    for (const v of x) ss += v * v;
    const inv = 1 / Math.sqrt(ss / x.length + eps);
    return x.map((v, i) => v * inv * w[i]!);
}

/**
 * Rotary position embedding of one position's q or k (nHeads × hd), in place and returned. Pair p < ropeDim/2 turns
 * by pos · theta^(-2p/ropeDim) / freqFactor[p]; "norm" pairs dimensions (2p, 2p+1), "neox" (p, p + ropeDim/2).
 * Dimensions past ropeDim stay as they are. Scaling is ggml's rope_yarn: linear interpolation by freqScale, blended
 * back towards the unscaled angle for the fast-turning pairs under YaRN, and the result scaled by the attention factor.
 */
function rope(x: Float64Array, pos: number, nHeads: number, h: ModelHparams, type: "norm" | "neox", freqFactors?: Float32Array): Float64Array {
    const {headDim, ropeDim, ropeTheta: theta} = h;
    const s = h.ropeScaling;
    const corrDim = (beta: number) => (ropeDim * Math.log(s.nCtxOrig / (beta * 2 * Math.PI))) / (2 * Math.log(theta));
    const low = Math.max(0, Math.floor(corrDim(s.betaFast))), high = Math.min(ropeDim - 1, Math.ceil(corrDim(s.betaSlow)));
    for (let head = 0; head < nHeads; head++) {
        const base = head * headDim;
        for (let p = 0; p < ropeDim / 2; p++) {
            const extrapolated = (pos * Math.pow(theta, (-2 * p) / ropeDim)) / (freqFactors?.[p] ?? 1);
            let angle = s.freqScale * extrapolated, mscale = s.attnFactor;
            if (s.extFactor !== 0) {
                const mix = (1 - Math.min(1, Math.max(0, (p - low) / Math.max(0.001, high - low)))) * s.extFactor;
                angle = angle * (1 - mix) + extrapolated * mix;
                mscale *= 1 + 0.1 * Math.log(1 / s.freqScale);
            }
            const cos = Math.cos(angle) * mscale, sin = Math.sin(angle) * mscale;
            const [i0, i1] = type === "norm" ? [base + 2 * p, base + 2 * p + 1] : [base + p, base + p + ropeDim / 2];
            const x0 = x[i0]!, x1 = x[i1]!;
            x[i0] = x0 * cos - x1 * sin;
            x[i1] = x0 * sin + x1 * cos;
        }
    }
    return x;
}

function softmax(x: Float64Array): Float64Array {
    const max = Math.max(...x);
    const e = x.map((v) => Math.exp(v - max));
    const sum = e.reduce((a, b) => a + b, 0);
    return e.map((v) => v / sum);
}

function silu(x: number): number {
    return x / (1 + Math.exp(-x));
}

function dot(a: Float64Array, b: Float64Array): number {
    let s = 0;
    for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
    return s;
}

function addInPlace(x: Float64Array, y: Float64Array): void {
    for (let i = 0; i < x.length; i++) x[i]! += y[i]!;
}
