import {MMLU_LETTERS, type MmluQuestion} from "./mmlu-dataset.js";

/**
 * The prompt of Hendrycks et al.: a one-line header naming the subject, `k` solved dev questions, then the question
 * with its lettered choices and "Answer:". The model's answer is scored as the log-probability of each letter as
 * the start of the assistant's reply.
 */
export function mmluPrompt(question: MmluQuestion, fewShot: readonly MmluQuestion[] = []): string {
    const subject = question.subject.replace(/_/g, " ");
    const header = `The following are multiple choice questions (with answers) about ${subject}.\n\n`;
    return header + fewShot.map((q) => formatQuestion(q) + ` ${MMLU_LETTERS[q.answer]}\n\n`).join("") + formatQuestion(question);
}

function formatQuestion(q: MmluQuestion): string {
    return `${q.question.trim()}\n${q.choices.map((c, i) => `${MMLU_LETTERS[i]}. ${c}`).join("\n")}\nAnswer:`;
}
