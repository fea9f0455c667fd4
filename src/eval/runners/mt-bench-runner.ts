import type {ChatMessage, GenerateRequest} from "../../engine/engine.js";
import {type Condition, personaFor, withPersona} from "../condition.js";
import type {JudgePrompt, MtBenchQuestion} from "../data/mt-bench-dataset.js";
import {runJudge, type JudgeSettings} from "../judge/judge-engine.js";
import {parseJudgeRating} from "../judge/judge-rating.js";
import {mtBenchJudgeMessages} from "../judge/mt-bench-judge-prompt.js";
import type {PersonaSet} from "../personas/persona-set.js";
import {batches, throwIfInterrupted} from "./batches.js";
import type {ConditionEngine} from "./condition-engine.js";
import type {Judgment, MtBenchRecord} from "./eval-records.js";
import {generateEach} from "./generate-each.js";
import type {ResultLog} from "./result-log.js";

export type RunMtBenchOptions = {
    model: ConditionEngine,
    condition: Condition,
    personas: PersonaSet,
    questions: readonly MtBenchQuestion[],
    judgePrompts: ReadonlyMap<string, JudgePrompt>,
    judge: JudgeSettings,
    log: ResultLog<MtBenchRecord>,
    /** Answer length per turn. Defaults to `1024` (FastChat's). */
    maxTokens?: number,
    /** Questions generated at once. Defaults to `8`. */
    batchSize?: number,
    signal?: AbortSignal,
    onItem?(): void
};

/** Two-turn generation (greedy), then single-answer grading of each turn by the judge. */
export async function runMtBench(options: RunMtBenchOptions): Promise<void> {
    const {model, condition, log} = options;
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
                const request: GenerateRequest & {messages: ChatMessage[]} = {messages: withPersona(history, personas[i]!, placement), temperature: 0, maxTokens: options.maxTokens ?? 1024};
                return model.route(request, "generate");
            }));
            const results = await generateEach(model.engine, requests);
            results.forEach((r, i) => turns[i]!.push({
                messages: [...requests[i]!.messages], answer: r.text, finishReason: r.finishReason, adapter: r.adapter, ...(r.error ? {error: r.error} : {}),
                ...(requests[i]!.route ? {route: requests[i]!.route} : {})
            }));
        }
        const judgeRequests = batch.flatMap((q, i) => ([1, 2] as const).map((turn) => ({
            turn, ...mtBenchJudgeMessages(q, turns[i]!.map((t) => t.answer), turn, options.judgePrompts)
        })));
        const outputs = await runJudge(options.judge, judgeRequests.map((r) => r.messages), options.judge.maxTokens ?? 512);
        batch.forEach((q, i) => {
            const judgments: Judgment[] = [0, 1].map((t) => {
                const request = judgeRequests[i * 2 + t]!;
                const {text: output, error: judgeError} = outputs[i * 2 + t]!;
                const parsed = judgeError ? {rating: null, error: `the judge could not run: ${judgeError}`} : parseJudgeRating(output);
                return {turn: request.turn, promptName: request.promptName, messages: request.messages, output, rating: parsed.rating, ...(parsed.error ? {error: parsed.error} : {})};
            });
            const ratings = judgments.map((j) => j.rating).filter((r): r is number => r !== null);
            log.append({
                id: q.id, questionId: q.questionId, category: q.category, persona: personas[i]!, turns: turns[i]!, judgments,
                score: ratings.length === 0 ? null : ratings.reduce((a, b) => a + b, 0) / ratings.length
            });
            options.onItem?.();
        });
        log.sync();
    }
}
