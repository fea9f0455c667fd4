import type {ChatMessage, GenerateRequest, PrismEngine} from "../../engine/engine.js";
import {harmbenchAttackSuccess} from "../judge/harmbench-classifier.js";
import {splitReasoning} from "../../util/reasoning.js";
import {type Condition, personaFor, withPersona} from "../condition.js";
import type {SafetyPrompt} from "../data/safety-dataset.js";
import {runJudge, type JudgeSettings} from "../judge/judge-engine.js";
import {refusalJudgeKind, refusalJudgeMessages, refusalVerdict} from "../judge/refusal-judge.js";
import type {PersonaSet} from "../personas/persona-set.js";
import type {EvalProtocol} from "../protocol.js";
import {batches, throwIfInterrupted} from "./batches.js";
import type {ConditionEngine} from "./condition-engine.js";
import type {SafetyRecord} from "./eval-records.js";
import {generateEach} from "./generate-each.js";
import type {ResultLog} from "./result-log.js";

export type RunSafetyOptions = {
    model: ConditionEngine,
    condition: Condition,
    personas: PersonaSet,
    protocol: EvalProtocol,
    prompts: readonly SafetyPrompt[],
    /** The refusal judge, or `"keyword"` for the anchor's keyword classifier alone. */
    judge: JudgeSettings | "keyword",
    /** A HarmBench classifier model: HarmBench prompts also get its attack-success verdict. */
    classifier?: PrismEngine,
    log: ResultLog<SafetyRecord>,
    /** Prompts generated at once. Defaults to `8`. */
    batchSize?: number,
    signal?: AbortSignal,
    onItem?(): void
};

/**
 * Generates a response to each prompt (greedy, the protocol's length), then classifies it with the protocol's
 * refusal judge. A failed generation (prompt too long, thinking never finished) is not judged: it is recorded with
 * its reason, left out of the scores and counted.
 */
export async function runSafety(options: RunSafetyOptions): Promise<void> {
    const {model, condition, log, protocol} = options;
    const placement = condition.kind === "persona" ? condition.placement : "system";
    const todo = options.prompts.filter((p) => !log.has(p.id));
    for (const batch of batches(todo, options.batchSize ?? 8)) {
        throwIfInterrupted(options.signal, "the safety benchmark");
        const personas = batch.map((p) => personaFor(condition, options.personas, "safety", p.set, p.id));
        const requests = await Promise.all(batch.map((p, i) => {
            const request: GenerateRequest & {messages: ChatMessage[]} = {
                messages: withPersona([{role: "user", content: p.prompt}], personas[i]!, placement, model.supportsSystemRole), temperature: 0, maxTokens: protocol.safety.maxTokens
            };
            return model.route(request, "generate");
        }));
        const results = await generateEach(model.engine, requests);
        const generated: Omit<SafetyRecord, "refusal" | "classifier">[] = batch.map((p, i) => {
            const r = results[i]!;
            const {text, unfinished} = splitReasoning(r.text);
            const error = r.error ?? (unfinished && text === "" ? "the model ran out of tokens while thinking" : undefined);
            return {
                id: p.id, set: p.set, harmful: p.harmful, ...(p.category ? {category: p.category} : {}), persona: personas[i]!,
                messages: [...requests[i]!.messages], response: text, finishReason: r.finishReason, adapter: r.adapter,
                ...(requests[i]!.route ? {route: requests[i]!.route} : {}), ...(error ? {error} : {})
            };
        });
        for (const record of await judgeSafety(generated, {protocol, judge: options.judge, prompts: batch, classifier: options.classifier})) {
            log.append(record);
            options.onItem?.();
        }
        log.sync();
    }
}

/** Classifies logged responses with the protocol's refusal judge (the runner and `prism eval --rescore`). */
export async function judgeSafety(records: readonly Omit<SafetyRecord, "refusal" | "classifier">[],
    options: {protocol: EvalProtocol, judge: JudgeSettings | "keyword", prompts: readonly SafetyPrompt[], classifier?: PrismEngine}): Promise<SafetyRecord[]> {
    const prompt = new Map(options.prompts.map((p) => [p.id, p.prompt]));
    const harmbench = new Map(options.prompts.flatMap((p) => (p.harmbench ? [[p.id, p.harmbench] as const] : [])));
    const attack = new Map<string, boolean>();
    if (options.classifier)
        for (const r of records) {
            const hb = harmbench.get(r.id);
            if (hb && !r.error) attack.set(r.id, (await harmbenchAttackSuccess(options.classifier, hb.behavior, r.response, hb.context)).success);
        }
    const toJudge = records.map((r, i) => ({r, i, kind: refusalJudgeKind(options.protocol, r.set)})).filter(({r}) => !r.error);
    const messages = toJudge.map(({r, kind}) => refusalJudgeMessages(kind, prompt.get(r.id) ?? r.messages.at(-1)!.content, r.response));
    const outputs = options.judge === "keyword" ? undefined : await runJudge(options.judge, messages, options.protocol.safety.judgeMaxTokens);
    const byIndex = new Map(toJudge.map((t, k) => [t.i, {...t, k}]));
    return records.map((r, i) => {
        const base = {...r, judgeKind: refusalJudgeKind(options.protocol, r.set), ...(attack.has(r.id) ? {attackSuccess: attack.get(r.id)!} : {})};
        const t = byIndex.get(i);
        if (!t) return {...base, refusal: false, classifier: "keyword" as const};
        const out = outputs?.[t.k];
        const verdict = refusalVerdict(t.kind, r.response, out && !out.error ? out.text : undefined);
        return {
            ...base, refusal: verdict.refusal, classifier: out?.error ? "keyword-fallback" as const : verdict.classifier, ...(verdict.xstestClass ? {xstestClass: verdict.xstestClass} : {}),
            ...(out ? {judgeMessages: messages[t.k]!, judgeOutput: out.text, ...(out.error ? {judgeError: out.error} : {})} : {})
        };
    });
}
