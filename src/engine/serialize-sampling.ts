import type {LlamaContext} from "node-llama-cpp";
import {Mutex} from "../util/mutex.js";

type NativeContext = {sampleToken(...args: unknown[]): Promise<unknown>};

/**
 * Works around a race in node-llama-cpp 3.21.1 (the version we pin): each sequence's next token is sampled by a native
 * worker, and two workers of one context running at once corrupt each other's result, so tokens end up swapped between
 * sequences decoded in the same batch. Greedy output then depends on timing. Measured on this project's tiny model
 * (48 prompts, 4 parallel sequences, 12 rounds, under CPU load): plain node-llama-cpp differed from its own first round
 * in 15 of 48 rounds; with sampling serialised per context, in 0 of 48. 3.22.1 did not show it, but cannot be installed
 * from every registry (see package.json's pin). Decoding stays batched; only the short sampling step is serialised.
 *
 * It wraps the context's internal native handle (`_ctx`), which is why it checks its shape and does nothing otherwise;
 * test/llama-engine-concurrency.test.ts has the regression test that fails without it.
 */
export function serializeSampling(context: LlamaContext): boolean {
    const holder = context as unknown as {_ctx?: NativeContext};
    const native = holder._ctx;
    if (!native || typeof native.sampleToken !== "function") return false;
    const lock = new Mutex();
    const sampleToken = (...args: unknown[]) => lock.run(() => native.sampleToken(...args));
    holder._ctx = new Proxy(native, {
        get(target, key) {
            if (key === "sampleToken") return sampleToken;
            const value = (target as unknown as Record<PropertyKey, unknown>)[key];
            return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
        }
    });
    return true;
}
