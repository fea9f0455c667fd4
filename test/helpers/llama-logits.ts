import type {Llama, Token} from "node-llama-cpp";

/**
 * The raw logits llama.cpp computes at every position of `tokens`, for comparison with the reference forward. The
 * KV cache is F32 and flash attention off, so the only differences left are float32 summation order.
 */
export async function llamaCppLogits(llama: Llama, modelPath: string, tokens: readonly number[], options: {adapter?: string, scale?: number} = {}): Promise<Float32Array[]> {
    const model = await llama.loadModel({modelPath});
    try {
        const context = await model.createContext({
            contextSize: Math.max(64, tokens.length), threads: 1, flashAttention: false,
            experimentalKvCacheKeyType: "F32", experimentalKvCacheValueType: "F32",
            ...(options.adapter ? {lora: {adapters: [{filePath: options.adapter, scale: options.scale ?? 1}]}} : {})
        });
        try {
            const nVocab = (model.fileInfo.metadata.tokenizer.ggml.tokens as string[]).length;
            const out = await context.getSequence().controlledEvaluate(tokens.map((t) => [t as Token, {generateNext: {logits: true}}]));
            return out.map((o, i) => {
                const logits = o?.next?.logits;
                if (!logits) throw new Error(`llama.cpp returned no logits at position ${i}`);
                const row = new Float32Array(nVocab);
                for (const [id, v] of logits) row[id] = v;
                return row;
            });
        } finally {
            await context.dispose();
        }
    } finally {
        await model.dispose();
    }
}
