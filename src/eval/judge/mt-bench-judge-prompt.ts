import type {ChatMessage} from "../../engine/engine.js";
import {REFERENCE_CATEGORIES, type JudgePrompt, type MtBenchQuestion} from "../data/mt-bench-dataset.js";

/**
 * The judge conversation for one turn of one MT-Bench answer, as FastChat builds it for single-answer grading:
 * `single-v1` (turn 1) and `single-v1-multi-turn` (turn 2, which shows the whole conversation and asks about the
 * second answer); for math, reasoning and coding with a reference answer, the `single-math-v1` variants.
 */
export function mtBenchJudgeMessages(question: MtBenchQuestion, answers: readonly string[], turn: 1 | 2, prompts: ReadonlyMap<string, JudgePrompt>): {promptName: string, messages: ChatMessage[]} {
    const withReference = REFERENCE_CATEGORIES.includes(question.category) && question.reference !== undefined && question.reference.length >= turn;
    const promptName = `single-${withReference ? "math-" : ""}v1${turn === 2 ? "-multi-turn" : ""}`;
    const prompt = prompts.get(promptName);
    if (!prompt) throw new Error(`judge prompt ${promptName} missing (loadJudgePrompts checks for it)`);
    const values: Record<string, string> = {
        question: question.turns[0], answer: answers[0] ?? "",
        question_1: question.turns[0], question_2: question.turns[1], answer_1: answers[0] ?? "", answer_2: answers[1] ?? "",
        ref_answer_1: question.reference?.[0] ?? "", ref_answer_2: question.reference?.[1] ?? ""
    };
    // One pass over the template, so braces inside answers are never read as placeholders.
    const content = prompt.prompt_template.replace(/\{(question|answer|question_[12]|answer_[12]|ref_answer_[12])\}/g, (_m, key: string) => values[key]!);
    return {promptName, messages: [{role: "system", content: prompt.system_prompt}, {role: "user", content}]};
}
