import type {Llama, Token} from "node-llama-cpp";

/**
 * The log-probabilities llama.cpp gives every vocabulary entry at every position of `tokens`, for comparison with
 * the reference forward. node-llama-cpp 3.21 returns probabilities (the exact softmax of the logits with no sampler
 * options), not raw logits; their logs are the logits less each position's log-sum-exp, so comparing log-probs
 * compares logits up to that shift. The KV cache is F32 and flash attention off, so what differs is float32 rounding.
 */
export async function llamaCppLogProbs(llama: Llama, modelPath: string, tokens: readonly number[], options: {adapter?: string, scale?: number} = {}): Promise<Float64Array[]> {
    const model = await llama.loadModel({modelPath});
    try {
        const context = await model.createContext({
            contextSize: Math.max(64, tokens.length), threads: 1, flashAttention: false,
            experimentalKvCacheKeyType: "F32", experimentalKvCacheValueType: "F32",
            ...(options.adapter ? {lora: {adapters: [{filePath: options.adapter, scale: options.scale ?? 1}]}} : {})
        });
        try {
            const nVocab = (model.fileInfo.metadata.tokenizer.ggml.tokens as string[]).length;
            const out = await context.getSequence().controlledEvaluate(tokens.map((t) => [t as Token, {generateNext: {probabilities: true}}]));
            return out.map((o, i) => {
                const probabilities = o?.next?.probabilities;
                if (!probabilities || probabilities.size !== nVocab) throw new Error(`llama.cpp returned ${probabilities?.size ?? "no"} probabilities at position ${i}, not ${nVocab}`);
                const row = new Float64Array(nVocab);
                for (const [id, p] of probabilities) row[id] = Math.log(p);
                return row;
            });
        } finally {
            await context.dispose();
        }
    } finally {
        await model.dispose();
    }
}

/** log softmax of each row of logits, in float64: what llamaCppLogProbs returns, computed from the reference's logits. */
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
