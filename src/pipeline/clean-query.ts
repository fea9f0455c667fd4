import {stripReasoning} from "../util/reasoning.js";

/** Queries of this many characters or fewer are dropped: too short to be a specific question. */
export const MIN_QUERY_CHARS = 16;

/**
 * A generated query as it is kept: after a reasoning model's thinking, its first non-empty line, without list numbering ("3.", "Q2:", "Question 4 -"),
 * bullets, bold markers or surrounding quotes, with runs of whitespace as one space.
 */
export function cleanQuery(raw: string): string {
    const line = stripReasoning(raw).split("\n").map((l) => l.trim()).find((l) => l !== "") ?? "";
    return line
        .replace(/^(?:[-*•]\s+)?(?:\*\*)?(?:#\s*)?(?:q(?:uestion)?\s*#?\s*)?\d+\s*[.):\-–](?=\s|\*|$)\s*(?:\*\*)?/i, "")
        .replace(/^(?:\*\*)?(?:q|question)\s*:\s*(?:\*\*)?/i, "")
        .replace(/^[-*•]\s+/, "")
        .replace(/\s+/g, " ")
        .trim()
        .replace(/^["'“”‘’`]+|["'“”‘’`]+$/g, "")
        .trim();
}

/** The text compared for duplicates: lower case, letters and digits only, single spaces. */
export function normalizeQuery(text: string): string {
    return text.toLowerCase().normalize("NFKC").replace(/[^\p{L}\p{N}]+/gu, " ").trim();
}

/** Jaccard similarity of the character-trigram sets of two normalised texts (1 for equal texts). */
export function trigramSimilarity(a: string, b: string): number {
    if (a === b) return 1;
    const ta = trigrams(a), tb = trigrams(b);
    let shared = 0;
    for (const t of ta) if (tb.has(t)) shared++;
    const union = ta.size + tb.size - shared;
    return union === 0 ? 0 : shared / union;
}

function trigrams(text: string): Set<string> {
    const padded = ` ${text} `;
    const out = new Set<string>();
    for (let i = 0; i + 3 <= padded.length; i++) out.add(padded.slice(i, i + 3));
    return out;
}
