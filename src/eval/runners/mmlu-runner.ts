import type {ChatMessage} from "../../engine/engine.js";
import {type Condition, personaFor, withPersona} from "../condition.js";
import {MMLU_LETTERS, type MmluQuestion} from "../data/mmlu-dataset.js";
import {mmluPrompt} from "../data/mmlu-prompt.js";
import type {PersonaSet} from "../personas/persona-set.js";
import {batches, throwIfInterrupted} from "./batches.js";
import type {ConditionEngine} from "./condition-engine.js";
import type {MmluRecord} from "./eval-records.js";
import type {ResultLog} from "./result-log.js";

export type RunMmluOptions = {
    model: ConditionEngine,
    condition: Condition,
    personas: PersonaSet,
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

/** Scores each question by the log-probability of the letters A–D; the highest is the model's answer. */
export async function runMmlu(options: RunMmluOptions): Promise<void> {
    const {model, condition, log} = options;
    const todo = options.questions.filter((q) => !log.has(q.id));
    for (const batch of batches(todo, options.batchSize ?? 1)) {
        throwIfInterrupted(options.signal, "MMLU");
        const records = await Promise.all(batch.map(async (q): Promise<MmluRecord> => {
            const persona = personaFor(condition, options.personas, "mmlu", q.category, q.id);
            const shots = (options.dev?.get(q.subject) ?? []).slice(0, options.shots ?? 0);
            const messages: ChatMessage[] = withPersona([{role: "user", content: mmluPrompt(q, shots)}], persona, condition.kind === "persona" ? condition.placement : "system");
            const request = await model.route({messages, continuations: MMLU_LETTERS}, "score");
            const scores = await model.engine.scoreContinuations(request);
            const letterLogprobs = scores.map((s) => s.total);
            const predicted = argmax(letterLogprobs);
            return {
                id: q.id, subject: q.subject, category: q.category, persona, messages, adapter: request.adapter,
                ...(request.route ? {route: request.route} : {}), letterLogprobs, predicted, answer: q.answer, correct: predicted === q.answer
            };
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
