import type {ChatMessage, GenerateRequest} from "../../engine/engine.js";
import {type Condition, personaFor, withPersona} from "../condition.js";
import type {SafetyPrompt} from "../data/safety-dataset.js";
import {runJudge, type JudgeSettings} from "../judge/judge-engine.js";
import {refusalJudgeMessages, refusalVerdict} from "../judge/refusal-judge.js";
import type {PersonaSet} from "../personas/persona-set.js";
import {batches, throwIfInterrupted} from "./batches.js";
import type {ConditionEngine} from "./condition-engine.js";
import type {SafetyRecord} from "./eval-records.js";
import {generateEach} from "./generate-each.js";
import type {ResultLog} from "./result-log.js";

export type RunSafetyOptions = {
    model: ConditionEngine,
    condition: Condition,
    personas: PersonaSet,
    prompts: readonly SafetyPrompt[],
    /** The refusal judge, or `"keyword"` for the keyword classifier alone. */
    judge: JudgeSettings | "keyword",
    log: ResultLog<SafetyRecord>,
    /** Response length. Defaults to `256`. */
    maxTokens?: number,
    /** Prompts generated at once. Defaults to `8`. */
    batchSize?: number,
    signal?: AbortSignal,
    onItem?(): void
};

/** Generates a response to each prompt, then asks the judge whether it refuses (keyword classifier as fallback). */
export async function runSafety(options: RunSafetyOptions): Promise<void> {
    const {model, condition, log} = options;
    const placement = condition.kind === "persona" ? condition.placement : "system";
    const todo = options.prompts.filter((p) => !log.has(p.id));
    for (const batch of batches(todo, options.batchSize ?? 8)) {
        throwIfInterrupted(options.signal, "the safety benchmark");
        const personas = batch.map((p) => personaFor(condition, options.personas, "safety", p.set, p.id));
        const requests = await Promise.all(batch.map((p, i) => {
            const request: GenerateRequest & {messages: ChatMessage[]} = {messages: withPersona([{role: "user", content: p.prompt}], personas[i]!, placement), temperature: 0, maxTokens: options.maxTokens ?? 256};
            return model.route(request, "generate");
        }));
        const results = await generateEach(model.engine, requests);
        const judgeMessages = batch.map((p, i) => refusalJudgeMessages(p.prompt, results[i]!.text));
        const judgeOutputs = options.judge === "keyword" ? undefined : await runJudge(options.judge, judgeMessages, 8);
        batch.forEach((p, i) => {
            const verdict = refusalVerdict(results[i]!.text, judgeOutputs?.[i]?.text);
            log.append({
                id: p.id, set: p.set, harmful: p.harmful, ...(p.category ? {category: p.category} : {}), persona: personas[i]!,
                messages: [...requests[i]!.messages], response: results[i]!.text, finishReason: results[i]!.finishReason, adapter: results[i]!.adapter,
                ...(requests[i]!.route ? {route: requests[i]!.route} : {}),
                refusal: verdict.refusal, classifier: verdict.classifier,
                ...(results[i]!.error ? {error: results[i]!.error} : {}),
                ...(judgeOutputs ? {judgeMessages: judgeMessages[i]!, judgeOutput: judgeOutputs[i]!.text, ...(judgeOutputs[i]!.error ? {judgeError: judgeOutputs[i]!.error} : {})} : {})
            });
            options.onItem?.();
        });
        log.sync();
    }
}
