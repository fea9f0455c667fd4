import {splitReasoning} from "../../util/reasoning.js";

/**
 * A parsed judge verdict: the rating, or null with the reason it could not be read (the output is kept either way).
 * `defaulted` marks the paper protocol's 5.0 for an unreadable output: it enters the score as the authors' code
 * does, and is counted as unparsed.
 */
export type JudgeRating = {rating: number, error?: undefined, defaulted?: true} | {rating: null, error: string};

/**
 * Reads an MT-Bench judge's rating after removing any `<think>` block (a judge that ran out of tokens while
 * thinking has no rating).
 * - `fastchat`: the first `[[n]]`, else the first `[n]` (FastChat's one_score_pattern and its backup, first match
 *   as `re.search`); none is unparsed. So "Rating: [[9]] … [[3]]" is 9.
 * - `paper`: the first `[[n]]`, else "Rating: n", else the first whole number if it is 1-10, else 5.0 (the authors'
 *   `extract_score`).
 */
export function parseJudgeRating(text: string, style: "fastchat" | "paper" = "fastchat"): JudgeRating {
    const {text: answer, unfinished} = splitReasoning(text);
    if (unfinished && answer === "") return style === "paper" ? {rating: 5, defaulted: true} : {rating: null, error: "the judge ran out of tokens while thinking"};
    if (style === "fastchat") {
        const m = /\[\[(\d+\.?\d*)\]\]/.exec(answer) ?? /\[(\d+\.?\d*)\]/.exec(answer);
        if (m) return {rating: Number(m[1])};
        return {rating: null, error: answer === "" ? "the judge output is empty" : "no [[rating]] in the judge output"};
    }
    const m = /\[\[(\d+(?:\.\d+)?)\]\]/.exec(answer) ?? /[Rr]ating:\s*(\d+(?:\.\d+)?)/.exec(answer);
    if (m) return {rating: Number(m[1])};
    const n = /\b(\d+)\b/.exec(answer);
    if (n && Number(n[1]) >= 1 && Number(n[1]) <= 10) return {rating: Number(n[1])};
    return {rating: 5, defaulted: true};
}
