import type {ChatMessage, GenerateRequest} from "../../engine/engine.js";
import {splitReasoning} from "../../util/reasoning.js";
import {scoreWorldAnswer} from "../../world/score-world-answer.js";
import type {TaskCheck, WorldTask} from "../../world/world-task.js";
import {type Condition, personaFor, withPersona} from "../condition.js";
import type {PersonaSet} from "../personas/persona-set.js";
import {batches, throwIfInterrupted} from "./batches.js";
import type {ConditionEngine} from "./condition-engine.js";
import type {WorldRecord} from "./eval-records.js";
import {generateEach} from "./generate-each.js";
import type {ResultLog} from "./result-log.js";

/** Tokens per world answer: every right reply of the world's model is a sentence or a short list. */
export const WORLD_MAX_TOKENS = 128;

export type RunWorldOptions = {
    model: ConditionEngine,
    condition: Condition,
    /** The persona texts `persona:*` conditions place (the run's own, or the world's reference personas). */
    personas: PersonaSet,
    tasks: readonly WorldTask[],
    log: ResultLog<WorldRecord>,
    maxTokens?: number,
    /** Tasks generated at once. Defaults to `8`. */
    batchSize?: number,
    signal?: AbortSignal,
    onItem?(): void
};

/**
 * Answers each held-out world task (greedy) and scores the answer by code (scoreWorldAnswer), no judge. The persona
 * of a `persona:*` condition is the task domain's, placed as the pipeline places it (placePersona).
 */
export async function runWorld(options: RunWorldOptions): Promise<void> {
    const {model, condition, log} = options;
    const placement = condition.kind === "persona" ? condition.placement : "system";
    const todo = options.tasks.filter((t) => !log.has(t.id));
    for (const batch of batches(todo, options.batchSize ?? 8)) {
        throwIfInterrupted(options.signal, "the world benchmark");
        const personas = batch.map((t) => personaFor(condition, options.personas, "world", t.domain, t.id));
        const requests = await Promise.all(batch.map((t, i) => {
            const request: GenerateRequest & {messages: ChatMessage[]} = {
                messages: withPersona([{role: "user", content: t.prompt}], personas[i]!, placement, model.supportsSystemRole), temperature: 0, maxTokens: options.maxTokens ?? WORLD_MAX_TOKENS
            };
            return model.route(request, "generate");
        }));
        const results = await generateEach(model.engine, requests);
        batch.forEach((t, i) => {
            const r = results[i]!;
            const {text, unfinished} = splitReasoning(r.text);
            const error = r.error ?? (unfinished && text === "" ? "the model ran out of tokens while thinking" : undefined);
            log.append({
                id: t.id, domain: t.domain, tier: t.tier, check: {...t.check}, persona: personas[i]!, messages: [...requests[i]!.messages],
                response: text, finishReason: r.finishReason, adapter: r.adapter, ...(requests[i]!.route ? {route: requests[i]!.route} : {}),
                score: error ? 0 : scoreWorldAnswer(t, text), ...(error ? {error} : {})
            });
            options.onItem?.();
        });
        log.sync();
    }
}

/** A logged record scored again by today's checker (`prism eval --rescore`). */
export function rescoreWorldRecord(r: WorldRecord): WorldRecord {
    if (r.error) return r;
    const task = {id: r.id, domain: r.domain, tier: r.tier, prompt: r.messages.at(-1)!.content, question: "", check: r.check as unknown as TaskCheck} as WorldTask;
    return {...r, score: scoreWorldAnswer(task, r.response)};
}
