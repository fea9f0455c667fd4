/**
 * Reasoning models (DeepSeek-R1 distills, QwQ, Qwen3 in thinking mode) open their answer with a `<think>…</think>`
 * block. Everything prism parses from a model's text (personas, queries, verdicts, judge ratings, refusals) must read
 * the answer after it, never the thinking.
 */

const THINK_BLOCK = /<think>[\s\S]*?<\/think>/gi;
/** R1 distills' chat templates put `<think>\n` into the prompt, so the text often starts inside the block. */
const LEADING_CLOSE = /^[\s\S]*?<\/think>/i;

export type StrippedReasoning = {
    /** The answer with every thinking block removed and surrounding whitespace trimmed. */
    text: string,
    /** What was inside the blocks, joined; empty when there was none. */
    reasoning: string,
    /** A `<think>` was opened and never closed: the model ran out of tokens while thinking, so there is no answer. */
    unfinished: boolean
};

/** Splits a model's text into its thinking and its answer. */
export function splitReasoning(text: string): StrippedReasoning {
    const reasoning: string[] = [];
    let rest = text;
    // A close with no open before it: the template opened the block in the prompt.
    const firstOpen = rest.search(/<think>/i);
    const firstClose = rest.search(/<\/think>/i);
    if (firstClose >= 0 && (firstOpen < 0 || firstClose < firstOpen)) {
        const head = LEADING_CLOSE.exec(rest)![0];
        reasoning.push(head.replace(/<\/think>$/i, ""));
        rest = rest.slice(head.length);
    }
    rest = rest.replace(THINK_BLOCK, (block) => {
        reasoning.push(block.slice("<think>".length, -"</think>".length));
        return "";
    });
    const open = rest.search(/<think>/i);
    const unfinished = open >= 0;
    if (unfinished) {
        reasoning.push(rest.slice(open + "<think>".length));
        rest = rest.slice(0, open);
    }
    return {text: rest.trim(), reasoning: reasoning.map((r) => r.trim()).filter(Boolean).join("\n\n"), unfinished};
}

/** The answer without its thinking (see `splitReasoning`). */
export function stripReasoning(text: string): string {
    return splitReasoning(text).text;
}
