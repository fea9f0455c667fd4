import type {LlamaContext, LlamaContextSequence, Token} from "node-llama-cpp";

/**
 * The sequences of one llama.cpp context, lent out one request at a time. Sequences are made on first need (up to
 * the context's count); a request waits when all are busy. A returned sequence keeps its KV cache, and the next
 * request gets the free sequence whose cached tokens share the longest prefix with its prompt, so a shared system
 * prompt or a repeated prompt (one prompt scored against many continuations) is evaluated once.
 */
export class SequencePool {
    private readonly free: LlamaContextSequence[] = [];
    private readonly waiters: ((s: LlamaContextSequence) => void)[] = [];
    private made = 0;

    constructor(readonly context: LlamaContext) {}

    async acquire(prompt: readonly Token[]): Promise<LlamaContextSequence> {
        if (this.free.length > 0) {
            let best = 0, bestShared = -1;
            for (let i = 0; i < this.free.length; i++) {
                const shared = sharedPrefixLength(this.free[i]!.contextTokens, prompt);
                if (shared > bestShared) [best, bestShared] = [i, shared];
            }
            return this.free.splice(best, 1)[0]!;
        }
        if (this.made < this.context.totalSequences) {
            this.made++;
            return this.context.getSequence();
        }
        return new Promise((resolve) => this.waiters.push(resolve));
    }

    release(sequence: LlamaContextSequence): void {
        if (sequence.disposed) {
            this.made--;
            return;
        }
        const next = this.waiters.shift();
        if (next) next(sequence);
        else this.free.push(sequence);
    }
}

/**
 * Makes the sequence's cache a prefix of `tokens` by erasing what differs, and returns the tokens still to evaluate.
 * At least the last token is always left to evaluate, since its logits are what comes next.
 */
export async function alignSequence(sequence: LlamaContextSequence, tokens: readonly Token[]): Promise<Token[]> {
    const keep = Math.min(sharedPrefixLength(sequence.contextTokens, tokens), tokens.length - 1);
    if (keep < sequence.nextTokenIndex) await sequence.eraseContextTokenRanges([{start: keep, end: sequence.nextTokenIndex}]);
    return tokens.slice(keep);
}

export function sharedPrefixLength(a: readonly Token[], b: readonly Token[]): number {
    const n = Math.min(a.length, b.length);
    let i = 0;
    while (i < n && a[i] === b[i]) i++;
    return i;
}
