import {PrismError} from "../../util/prism-error.js";
import {type Condition, personaFor} from "../condition.js";
import type {MmluQuestion} from "../data/mmlu-dataset.js";
import {mmluPrompt} from "../data/mmlu-prompt.js";
import type {PersonaSet} from "../personas/persona-set.js";
import type {EvalProtocol} from "../protocol.js";
import {batches, throwIfInterrupted} from "./batches.js";
import type {ConditionEngine} from "./condition-engine.js";
import type {MmluRecord} from "./eval-records.js";
import type {ResultLog} from "./result-log.js";

export type RunMmluOptions = {
    model: ConditionEngine,
    condition: Condition,
    personas: PersonaSet,
    protocol: EvalProtocol,
    questions: readonly MmluQuestion[],
    /** Dev questions per subject for few-shot prompts; the first `shots` are used. */
    dev?: ReadonlyMap<string, readonly MmluQuestion[]>,
    /** Defaults to `0` (zero-shot). */
    shots?: number,
    log: ResultLog<MmluRecord>,
    /** Questions scored concurrently (the engine spreads them over its sequences). Defaults to `1`. */
    batchSize?: number,
    signal?: AbortSignal,
    onItem?(): void
};

/**
 * Scores each question on raw text (no chat template) by the log-probability of each answer continuation; the
 * highest is the model's answer. A prompt too long for the context drops shots until it fits (Hendrycks); a
 * zero-shot prompt that still does not fit is recorded as failed, left out of the scores and counted.
 */
export async function runMmlu(options: RunMmluOptions): Promise<void> {
    const {model, condition, log, protocol} = options;
    const todo = options.questions.filter((q) => !log.has(q.id));
    for (const batch of batches(todo, options.batchSize ?? 1)) {
        throwIfInterrupted(options.signal, "MMLU");
        const records = await Promise.all(batch.map(async (q): Promise<MmluRecord> => {
            const persona = personaFor(condition, options.personas, "mmlu", q.category, q.id);
            const dev = options.dev?.get(q.subject) ?? [];
            const base = {id: q.id, subject: q.subject, category: q.category, persona, answer: q.answer};
            for (let k = Math.min(options.shots ?? 0, dev.length); ; k--) {
                const prompt = mmluPrompt(q, dev.slice(0, k), protocol.mmlu.header, persona?.text);
                const messages = [{role: "user" as const, content: prompt}];
                const request = await model.route({messages, text: prompt, continuations: protocol.mmlu.continuations}, "score");
                const routed = {messages, prompt, shots: k, adapter: request.adapter, ...(request.route ? {route: request.route} : {})};
                try {
                    const letterLogprobs = (await model.engine.scoreContinuations(request)).map((s) => s.total);
                    const predicted = argmax(letterLogprobs);
                    return {...base, ...routed, letterLogprobs, predicted, correct: predicted === q.answer};
                } catch (err) {
                    if (!(PrismError.isInstance(err) && err.code === "E_PROMPT_TOO_LONG")) throw err;
                    if (k === 0) return {...base, ...routed, letterLogprobs: [], predicted: null, correct: false, error: (err as Error).message};
                }
            }
        }));
        for (const r of records) {
            log.append(r);
            options.onItem?.();
        }
        log.sync();
    }
}

/** Index of the largest value; the first one on ties. */
export function argmax(values: readonly number[]): number {
    let best = 0;
    for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
    return best;
}
