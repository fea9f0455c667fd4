import type {ChatMessage, PrismEngine} from "../../engine/engine.js";
import {batches} from "../runners/batches.js";

export type JudgeSettings = {
    /** The judging engine; the model under test when no other is given. */
    engine: PrismEngine,
    /** Judge requests sent to the engine at once; `1` turns batching off. Defaults to `8`. */
    batchSize?: number,
    /** Defaults to `512` for MT-Bench ratings (the explanation comes before the rating). */
    maxTokens?: number
};

/**
 * Runs judge conversations greedily on the judge's base model (never an adapter, never routed), `batchSize` at a
 * time, and returns the outputs in order.
 */
export async function runJudge(judge: JudgeSettings, conversations: readonly ChatMessage[][], maxTokens: number): Promise<string[]> {
    const outputs: string[] = [];
    for (const batch of batches(conversations, judge.batchSize ?? 8)) {
        const results = await judge.engine.generate(batch.map((messages) => ({messages, adapter: null, temperature: 0, maxTokens})));
        outputs.push(...results.map((r) => r.text));
    }
    return outputs;
}
