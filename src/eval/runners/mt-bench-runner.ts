import type {ChatMessage, GenerateRequest} from "../../engine/engine.js";
import {splitReasoning} from "../../util/reasoning.js";
import {type Condition, personaFor, withPersona} from "../condition.js";
import type {JudgePrompt, MtBenchQuestion} from "../data/mt-bench-dataset.js";
import {runJudge, type JudgeSettings} from "../judge/judge-engine.js";
import {parseJudgeRating} from "../judge/judge-rating.js";
import {mtBenchJudgeMessages} from "../judge/mt-bench-judge-prompt.js";
import type {PersonaSet} from "../personas/persona-set.js";
import type {EvalProtocol} from "../protocol.js";
import {batches, throwIfInterrupted} from "./batches.js";
import type {ConditionEngine} from "./condition-engine.js";
import type {Judgment, MtBenchRecord} from "./eval-records.js";
import {generateEach} from "./generate-each.js";
import type {ResultLog} from "./result-log.js";

export type RunMtBenchOptions = {
    model: ConditionEngine,
    condition: Condition,
    personas: PersonaSet,
    protocol: EvalProtocol,
    questions: readonly MtBenchQuestion[],
    judgePrompts: ReadonlyMap<string, JudgePrompt>,
    judge: JudgeSettings,
    log: ResultLog<MtBenchRecord>,
    /** Answer length per turn. Defaults to `1024` (FastChat's and the paper's). */
    maxTokens?: number,
    /** Questions generated at once. Defaults to `8`. */
    batchSize?: number,
    signal?: AbortSignal,
    onItem?(): void
};

/** Two-turn generation with the protocol's sampling, then single-answer grading of each turn by the judge. */
export async function runMtBench(options: RunMtBenchOptions): Promise<void> {
    const {model, condition, log, protocol} = options;
    const placement = condition.kind === "persona" ? condition.placement : "system";
    const todo = options.questions.filter((q) => !log.has(q.id));
    for (const batch of batches(todo, options.batchSize ?? 8)) {
        throwIfInterrupted(options.signal, "MT-Bench");
        const personas = batch.map((q) => personaFor(condition, options.personas, "mt-bench", q.category, q.id));
        const turns: MtBenchRecord["turns"][] = batch.map(() => []);
        for (const turn of [0, 1] as const) {
            const requests = await Promise.all(batch.map((q, i) => {
                const history: ChatMessage[] = [{role: "user", content: q.turns[0]}];
                if (turn === 1) history.push({role: "assistant", content: turns[i]![0]!.answer}, {role: "user", content: q.turns[1]});
                const sampling = protocol.mtBench.sampling(q.category);
                const request: GenerateRequest & {messages: ChatMessage[]} = {messages: withPersona(history, personas[i]!, placement, model.supportsSystemRole), ...sampling, seed: q.questionId * 2 + turn, maxTokens: options.maxTokens ?? 1024};
                return model.route(request, "generate");
            }));
            const results = await generateEach(model.engine, requests);
            results.forEach((r, i) => {
                // A reasoning model's answer is what follows its thinking; one that never finished thinking has none.
                const {text, unfinished} = splitReasoning(r.text);
                const error = r.error ?? (unfinished && text === "" ? "the model ran out of tokens while thinking" : undefined);
                turns[i]!.push({
                    messages: [...requests[i]!.messages], answer: text, finishReason: r.finishReason, adapter: r.adapter,
                    temperature: requests[i]!.temperature!, topP: requests[i]!.topP!, ...(error ? {error} : {}),
                    ...(requests[i]!.route ? {route: requests[i]!.route} : {})
                });
            });
        }
        const records = await judgeMtBench(batch.map((q, i) => ({question: q, persona: personas[i]!, turns: turns[i]!})), options);
        for (const record of records) {
            log.append(record);
            options.onItem?.();
        }
        log.sync();
    }
}

/**
 * Judges both turns of each answered question under the protocol's judge; a question whose answers failed is not
 * judged (it is left out of the scores and counted). Used by the runner and by `prism eval --rescore`.
 */
export async function judgeMtBench(items: readonly {question: MtBenchQuestion, persona: MtBenchRecord["persona"], turns: MtBenchRecord["turns"]}[],
    options: {protocol: EvalProtocol, judge: JudgeSettings, judgePrompts: ReadonlyMap<string, JudgePrompt>}): Promise<MtBenchRecord[]> {
    const {protocol} = options;
    const judged = items.map((item, i) => ({...item, i, failed: item.turns.find((t) => t.error)?.error}));
    const judgeRequests = judged.filter((j) => !j.failed).flatMap(({question, turns, i}) => ([1, 2] as const).map((turn) => ({
        i, turn, ...mtBenchJudgeMessages(question, turns.map((t) => t.answer), turn, options.judgePrompts, protocol.mtBench.judge)
    })));
    const outputs = await runJudge(options.judge, judgeRequests.map((r) => r.messages), protocol.mtBench.judgeMaxTokens, protocol.mtBench.judgeSampling);
    return judged.map(({question: q, persona, turns, i, failed}) => {
        const judgments: Judgment[] = judgeRequests.flatMap((request, k) => {
            if (request.i !== i) return [];
            const {text: output, error: judgeError} = outputs[k]!;
            const parsed = judgeError ? {rating: null, error: `the judge could not run: ${judgeError}`} : parseJudgeRating(output, protocol.mtBench.judge);
            return [{turn: request.turn, promptName: request.promptName, messages: request.messages, output, rating: parsed.rating,
                ...("defaulted" in parsed && parsed.defaulted ? {defaulted: true} : {}), ...(parsed.error ? {error: parsed.error} : {})}];
        });
        const ratings = judgments.map((j) => j.rating).filter((r): r is number => r !== null);
        return {
            id: q.id, questionId: q.questionId, category: q.category, persona, turns, judgments,
            score: ratings.length === 0 ? null : ratings.reduce((a, b) => a + b, 0) / ratings.length, ...(failed ? {failed} : {})
        };
    });
}
