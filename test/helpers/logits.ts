import type {Llama, LlamaModel, Token} from "node-llama-cpp";
import {expect} from "vitest";

/**
 * llama.cpp's next-token log-probabilities (tokens × V, row-major) at every position, with an F32 KV cache and no
 * flash attention. node-llama-cpp 3.21 returns probabilities, not logits: the exact softmax of the raw logits (no
 * sampler options), so log p is the log-softmax of llama.cpp's logits. The one helper the parity tests use: it
 * throws unless llama.cpp returned every vocabulary entry at every position.
 */
export async function llamaCppLogProbs(model: LlamaModel, tokens: readonly number[], options: {lora?: string, scale?: number, threads?: number} = {}): Promise<Float32Array> {
    const context = await model.createContext({
        contextSize: Math.max(256, tokens.length + 8),
        threads: options.threads ?? 1,
        flashAttention: false,
        experimentalKvCacheKeyType: "F32",
        experimentalKvCacheValueType: "F32",
        lora: options.lora ? {adapters: [{filePath: options.lora, scale: options.scale ?? 1}]} : undefined
    });
    try {
        const sequence = context.getSequence();
        const out = await sequence.controlledEvaluate(tokens.map((t) => [t as Token, {generateNext: {probabilities: true}}]));
        const V = model.fileInfo.metadata.tokenizer.ggml.tokens.length;
        const logProbs = new Float32Array(tokens.length * V).fill(-Infinity);
        out.forEach((item, i) => {
            const row = item?.next?.probabilities;
            // Every entry or none: a skipped entry would stay -Infinity and drop out of maxRelativeError unseen.
            if (!row || row.size !== V) throw new Error(`llama.cpp returned ${row?.size ?? "no"} probabilities at position ${i}, not ${V}`);
            for (const [token, p] of row) {
                if (!(token >= 0 && token < V)) throw new Error(`llama.cpp returned a probability for token ${token} at position ${i}, outside the vocabulary of ${V}`);
                logProbs[i * V + token] = Math.log(p);
            }
        });
        return logProbs;
    } finally {
        await context.dispose();
    }
}

/** `llamaCppLogProbs` of the GGUF at `modelPath` (loaded for the call), one row (V) per position. */
export async function llamaCppLogProbRows(llama: Llama, modelPath: string, tokens: readonly number[], options: {lora?: string, scale?: number} = {}): Promise<Float32Array[]> {
    const model = await llama.loadModel({modelPath});
    try {
        const flat = await llamaCppLogProbs(model, tokens, options);
        const V = flat.length / tokens.length;
        return tokens.map((_, i) => flat.subarray(i * V, (i + 1) * V));
    } finally {
        await model.dispose();
    }
}

/** log softmax of each row of logits, in float64: what llamaCppLogProbRows gives, computed from a reference's logits. */
export function logSoftmaxRows(logits: readonly Float32Array[]): Float64Array[] {
    return logits.map((row) => {
        let max = -Infinity;
        for (const v of row) max = Math.max(max, v);
        let sum = 0;
        for (const v of row) sum += Math.exp(v - max);
        const lse = max + Math.log(sum);
        return Float64Array.from(row, (v) => v - lse);
    });
}

/** Row-wise log-softmax of logits (rows × V). */
export function logSoftmax(logits: Float32Array, V: number): Float32Array {
    const out = new Float32Array(logits.length);
    for (let r = 0; r < logits.length / V; r++) {
        const row = logits.subarray(r * V, (r + 1) * V);
        let max = -Infinity;
        for (const x of row) max = Math.max(max, x);
        let sum = 0;
        for (const x of row) sum += Math.exp(x - max);
        const lse = max + Math.log(sum);
        for (let v = 0; v < V; v++) out[r * V + v] = row[v]! - lse;
    }
    return out;
}

/**
 * max |a − b| / max |b| over the entries where b is finite (a probability that underflowed to 0 has no log): the
 * error relative to the scale of the reference log-probabilities.
 */
export function maxRelativeError(a: Float32Array, b: Float32Array): number {
    if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
    let diff = 0, scale = 0;
    for (let i = 0; i < a.length; i++) {
        // llama.cpp hands over float32 probabilities: below FLT_MIN they are subnormal, down to one significant bit
        // at 1.4e-45, so their logs (< −87.3) are off by up to ln 2 however exact the logits were.
        if (!Number.isFinite(b[i]!) || b[i]! < LOG_FLT_MIN) continue;
        diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
        scale = Math.max(scale, Math.abs(b[i]!));
    }
    return diff / scale;
}

/** ln of float32's smallest normal number, 1.1754944e-38. */
const LOG_FLT_MIN = -87.3365;

/**
 * The adapter check the stand-in tests share: llama.cpp's log-probabilities over `tokens` with the adapter file
 * loaded, against `ours` (our graph's log-softmax with the same adapter). `error` is how far apart they are, `moved`
 * how far the adapter moves llama.cpp's own, so a test can tell an adapter applied alike from one applied by neither.
 */
export async function adapterParity(llama: Llama, modelPath: string, tokens: readonly number[], adapterPath: string, ours: Float32Array): Promise<{error: number, moved: number}> {
    const model = await llama.loadModel({modelPath});
    try {
        const withAdapter = await llamaCppLogProbs(model, tokens, {lora: adapterPath});
        const without = await llamaCppLogProbs(model, tokens);
        return {error: maxRelativeError(ours, withAdapter), moved: maxRelativeError(without, withAdapter)};
    } finally {
        await model.dispose();
    }
}

/**
 * `adapterParity`, printed under `label` and asserted: llama.cpp with the adapter agrees with our graph (relative
 * error < 1e-4) while the adapter moves llama.cpp's own log-probabilities (> 1e-3).
 */
export async function expectAdapterParity(label: string, llama: Llama, modelPath: string, tokens: readonly number[], adapterPath: string, ours: Float32Array): Promise<void> {
    const {error, moved} = await adapterParity(llama, modelPath, tokens, adapterPath, ours);
    console.log(`${label}: max relative error ${error.toExponential(2)} (the adapter moves them by ${moved.toExponential(2)})`);
    expect(error).toBeLessThan(1e-4);
    expect(moved).toBeGreaterThan(1e-3);
}

/** `n` SFT examples of random tokens (5 prompt, 6 answer, ids below `vocab`) for tests that only need a loss to fall. */
export function randomTokenExamples(rng: {int(n: number): number}, n = 4, vocab = 5000): {source: string, prompt: number[], response: number[]}[] {
    return Array.from({length: n}, (_, i) => ({source: `ex${i}`, prompt: Array.from({length: 5}, () => rng.int(vocab)), response: Array.from({length: 6}, () => rng.int(vocab))}));
}
