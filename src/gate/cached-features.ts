import crypto from "node:crypto";
import type {ConversationMessage} from "../model/chat-tokenizer.js";
import type {GateFeatures} from "./gate-features.js";

export type CachedFeaturesOptions = {
    /** Prompts whose features are kept; the least recently used go first. Defaults to `1024`. */
    maxEntries?: number
};

/**
 * A feature source that remembers the features of recent prompts. Under the first-turn policy every later turn of a
 * conversation is decided on its first turn again, so a chat pays for the gate's forward pass once, not on every
 * turn. Features depend only on the prompt, so a remembered vector is the one the source would compute. Concurrent
 * requests for the same prompt share one extraction; a failed one is not remembered.
 */
export function cachedFeatures(features: GateFeatures, options: CachedFeaturesOptions = {}): GateFeatures {
    const maxEntries = options.maxEntries ?? 1024;
    const cache = new Map<string, Promise<Float32Array>>();
    return {
        definition: features.definition,
        modelFingerprint: features.modelFingerprint,
        extract(messages: readonly ConversationMessage[]): Promise<Float32Array> {
            // A digest, not the text: 1024 remembered prompts of up to a request body each would be a lot of memory.
            const key = crypto.createHash("sha256").update(JSON.stringify(messages.map((m) => [m.role, m.content]))).digest("base64");
            let vector = cache.get(key);
            if (vector) cache.delete(key); // re-inserted below as the most recent
            else {
                vector = features.extract(messages);
                vector.catch(() => cache.delete(key));
            }
            cache.set(key, vector);
            if (cache.size > maxEntries) cache.delete(cache.keys().next().value!);
            // A copy each time, so a caller that changes its vector cannot change what the next one gets.
            return vector.then((v) => v.slice());
        }
    };
}
