import {MMLU_LETTERS, type MmluQuestion} from "./mmlu-dataset.js";

/** lm-evaluation-harness's MMLU description (mmlu_<subject>.yaml:2); Hendrycks' header, with one space before the subject. */
export const LM_EVAL_MMLU_HEADER = "The following are multiple choice questions (with answers) about {subject}.\n\n";

/**
 * The raw-text MMLU prompt: the header naming the subject, `k` solved dev questions (each followed by a blank line),
 * then the question with its lettered choices and "Answer:". The model's answer is the letter whose continuation
 * (" A" … " D") is most likely after it. With a persona, the persona and a blank line come first, as lm-eval's
 * `--system_instruction` without a chat template.
 */
export function mmluPrompt(question: MmluQuestion, fewShot: readonly MmluQuestion[] = [], header: string = LM_EVAL_MMLU_HEADER, persona?: string): string {
    const subject = question.subject.replace(/_/g, " ");
    const body = header.replace("{subject}", subject) + fewShot.map((q) => formatQuestion(q) + ` ${MMLU_LETTERS[q.answer]}\n\n`).join("") + formatQuestion(question);
    return persona ? `${persona}\n\n${body}` : body;
}

function formatQuestion(q: MmluQuestion): string {
    return `${q.question.trim()}\n${q.choices.map((c, i) => `${MMLU_LETTERS[i]}. ${c}`).join("\n")}\nAnswer:`;
}
