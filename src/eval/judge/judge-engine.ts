import type {ChatMessage, PrismEngine} from "../../engine/engine.js";
import {batches} from "../runners/batches.js";
import {generateEach} from "../runners/generate-each.js";

export type JudgeSettings = {
    /** The judging engine; the model under test when no other is given. */
    engine: PrismEngine,
    /** Judge requests sent to the engine at once; `1` turns batching off. Defaults to `8`. */
    batchSize?: number,
    /**
     * Tokens added to every judge budget so a reasoning judge can finish its `<think>` block before answering.
     * Defaults to `0`.
     */
    reasoningTokens?: number
};

/**
 * Runs judge conversations on the judge's base model (never an adapter, never routed), `batchSize` at a time, and
 * returns the outputs in order. A conversation too long for the judge's context gets an error, not a crash.
 */
export async function runJudge(judge: JudgeSettings, conversations: readonly ChatMessage[][], maxTokens: number,
    sampling: {temperature: number, topP: number} = {temperature: 0, topP: 1}): Promise<JudgeOutput[]> {
    const outputs: JudgeOutput[] = [];
    const budget = maxTokens + (judge.reasoningTokens ?? 0);
    let seed = 0;
    for (const batch of batches(conversations, judge.batchSize ?? 8)) {
        const results = await generateEach(judge.engine, batch.map((messages) => ({messages, adapter: null, ...sampling, seed: seed++, maxTokens: budget})));
        outputs.push(...results.map((r) => (r.error ? {text: r.text, error: r.error} : {text: r.text})));
    }
    return outputs;
}

/** The judge's text, or an empty text and the reason it could not judge (its prompt did not fit the context). */
export type JudgeOutput = {text: string, error?: string};
