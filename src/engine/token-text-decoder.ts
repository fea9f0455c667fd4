import type {LlamaModel, Token} from "node-llama-cpp";

/**
 * Turns generated tokens into text deltas. A token can end in the middle of a multi-byte UTF-8 character; its text is
 * held back until the following tokens complete the character, so no delta contains a replacement character that the
 * whole text would not.
 */
export class TokenTextDecoder {
    private pending: Token[] = [];
    private context: Token[] = [];

    /** `special`: special tokens are written as their text (to find a tool call's `<tool_call>`-like prefix). */
    constructor(private readonly model: LlamaModel, private readonly options: {special?: boolean, maxPendingTokens?: number} = {}) {}

    push(token: Token): string {
        this.pending.push(token);
        const text = this.model.detokenize(this.pending, this.options.special ?? false, this.context);
        if (text.endsWith("\uFFFD") && this.pending.length < (this.options.maxPendingTokens ?? 4)) return "";
        this.context = [...this.context, ...this.pending].slice(-8);
        this.pending = [];
        return text;
    }

    flush(): string {
        if (this.pending.length === 0) return "";
        const text = this.model.detokenize(this.pending, this.options.special ?? false, this.context);
        this.pending = [];
        return text;
    }
}
