import type {ChatMessage} from "../../engine/engine.js";
import {REFERENCE_CATEGORIES, type JudgePrompt, type MtBenchQuestion} from "../data/mt-bench-dataset.js";
import {fillPrompt, PAPER_MT_BENCH_JUDGE_PROMPT} from "../../prompts/anchor-prompts.js";

/**
 * The judge conversation for one turn of one MT-Bench answer.
 * - `fastchat`: FastChat's single-answer grading: `single-v1` (turn 1) and `single-v1-multi-turn` (turn 2, the whole
 *   conversation, asking about the second answer); for math, reasoning and coding with a reference answer, the
 *   `single-math-v1` variants; the prompt's system_prompt as the system message.
 * - `paper`: the PRISM authors' one prompt as a single user message, each turn judged on its own question and answer.
 */
export function mtBenchJudgeMessages(question: MtBenchQuestion, answers: readonly string[], turn: 1 | 2, prompts: ReadonlyMap<string, JudgePrompt>,
    style: "fastchat" | "paper" = "fastchat"): {promptName: string, messages: ChatMessage[]} {
    if (style === "paper")
        return {promptName: "paper", messages: [{role: "user", content: fillPrompt(PAPER_MT_BENCH_JUDGE_PROMPT, {question: question.turns[turn - 1]!, answer: answers[turn - 1] ?? ""})}]};
    const withReference = REFERENCE_CATEGORIES.includes(question.category) && question.reference !== undefined && question.reference.length >= turn;
    const promptName = `single-${withReference ? "math-" : ""}v1${turn === 2 ? "-multi-turn" : ""}`;
    const prompt = prompts.get(promptName);
    if (!prompt) throw new Error(`judge prompt ${promptName} missing (loadJudgePrompts checks for it)`);
    const content = fillPrompt(prompt.prompt_template, {
        question: question.turns[0], answer: answers[0] ?? "",
        question_1: question.turns[0], question_2: question.turns[1], answer_1: answers[0] ?? "", answer_2: answers[1] ?? "",
        ref_answer_1: question.reference?.[0] ?? "", ref_answer_2: question.reference?.[1] ?? ""
    });
    return {promptName, messages: [{role: "system", content: prompt.system_prompt}, {role: "user", content}]};
}
