import type {LlamaModel, Token} from "node-llama-cpp";

/** llama.cpp's logits (tokens × V, row-major) for every position, with an F32 KV cache and no flash attention. */
export async function llamaCppLogits(model: LlamaModel, tokens: readonly number[], options: {lora?: string, threads?: number} = {}): Promise<Float32Array> {
    const context = await model.createContext({
        contextSize: Math.max(256, tokens.length + 8),
        threads: options.threads ?? 1,
        flashAttention: false,
        experimentalKvCacheKeyType: "F32",
        experimentalKvCacheValueType: "F32",
        lora: options.lora ? {adapters: [{filePath: options.lora, scale: 1}]} : undefined
    });
    try {
        const sequence = context.getSequence();
        const out = await sequence.controlledEvaluate(tokens.map((t) => [t as Token, {generateNext: {logits: true}}]));
        const V = model.fileInfo.metadata.tokenizer.ggml.tokens.length;
        const logits = new Float32Array(tokens.length * V);
        out.forEach((item, i) => {
            const row = item?.next?.logits;
            if (!row) throw new Error(`llama.cpp returned no logits at position ${i}`);
            for (const [token, x] of row) logits[i * V + token] = x;
        });
        return logits;
    } finally {
        await context.dispose();
    }
}

/** max |a − b| / max |b|: the error relative to the scale of the reference logits. */
export function maxRelativeError(a: Float32Array, b: Float32Array): number {
    if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
    let diff = 0, scale = 0;
    for (let i = 0; i < a.length; i++) {
        diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
        scale = Math.max(scale, Math.abs(b[i]!));
    }
    return diff / scale;
}
