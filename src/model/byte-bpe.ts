/**
 * Byte-level BPE as GPT-2, Qwen and Llama 3 use it (tokenizer.ggml.model = "gpt2"): text is split by a
 * pre-tokenizer regex, each piece's UTF-8 bytes are mapped to printable characters, and merges join them.
 * prism trains a small one for its self-made tiny models, so they tokenize like real models do.
 */

/** The same expression as llama.cpp's "qwen2" pre-tokenizer, so training and llama.cpp split text alike. */
export const QWEN2_PRETOKENIZER = /(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+/gu;

let byteMap: string[] | undefined;

/** GPT-2's bytes_to_unicode: each byte to a printable character (printable bytes map to themselves). */
export function bytesToUnicode(): readonly string[] {
    if (byteMap) return byteMap;
    const keep: number[] = [];
    for (let b = 0x21; b <= 0x7e; b++) keep.push(b);
    for (let b = 0xa1; b <= 0xac; b++) keep.push(b);
    for (let b = 0xae; b <= 0xff; b++) keep.push(b);
    const map: string[] = new Array(256);
    let n = 0;
    for (let b = 0; b < 256; b++) map[b] = String.fromCodePoint(keep.includes(b) ? b : 256 + n++);
    byteMap = map;
    return map;
}

export function encodeBytesAsSymbols(text: string): string[] {
    const map = bytesToUnicode();
    return Array.from(new TextEncoder().encode(text), (b) => map[b]!);
}

export type ByteBpe = {
    /** Base byte symbols (256), then one token per merge, in merge order. */
    tokens: string[],
    /** "left right" pairs, highest priority first. */
    merges: string[]
};

/** Trains `mergeCount` merges on `corpus`; deterministic (ties go to the lexically smallest pair). */
export function trainByteBpe(corpus: string, mergeCount: number): ByteBpe {
    const tokens = [...bytesToUnicode()];
    const merges: string[] = [];
    const counts = new Map<string, number>();
    for (const piece of corpus.match(QWEN2_PRETOKENIZER) ?? []) counts.set(piece, (counts.get(piece) ?? 0) + 1);
    const words = [...counts.entries()].map(([piece, count]) => ({symbols: encodeBytesAsSymbols(piece), count}));
    const known = new Set(tokens);
    for (let m = 0; m < mergeCount; m++) {
        const pairs = new Map<string, number>();
        for (const w of words)
            for (let i = 0; i + 1 < w.symbols.length; i++) {
                const key = w.symbols[i] + " " + w.symbols[i + 1];
                pairs.set(key, (pairs.get(key) ?? 0) + w.count);
            }
        let best: string | undefined;
        let bestCount = 1;
        for (const [key, c] of pairs)
            if (c > bestCount || (c === bestCount && best !== undefined && key < best)) {
                best = key;
                bestCount = c;
            }
        if (best === undefined) break;
        const [left, right] = best.split(" ") as [string, string];
        const joined = left + right;
        merges.push(best);
        if (!known.has(joined)) {
            tokens.push(joined);
            known.add(joined);
        }
        for (const w of words) {
            const s = w.symbols;
            const next: string[] = [];
            for (let i = 0; i < s.length; i++) {
                if (i + 1 < s.length && s[i] === left && s[i + 1] === right) {
                    next.push(joined);
                    i++;
                } else next.push(s[i]!);
            }
            w.symbols = next;
        }
    }
    return {tokens, merges};
}

/** Encodes text with the merges (a plain reference implementation, used in tests). */
export function encodeWithBpe(bpe: ByteBpe, text: string): number[] {
    const rank = new Map(bpe.merges.map((m, i) => [m, i]));
    const id = new Map(bpe.tokens.map((t, i) => [t, i]));
    const out: number[] = [];
    for (const piece of text.match(QWEN2_PRETOKENIZER) ?? []) {
        let s = encodeBytesAsSymbols(piece);
        for (;;) {
            let bestI = -1;
            let bestRank = Infinity;
            for (let i = 0; i + 1 < s.length; i++) {
                const r = rank.get(s[i] + " " + s[i + 1]);
                if (r !== undefined && r < bestRank) {
                    bestRank = r;
                    bestI = i;
                }
            }
            if (bestI < 0) break;
            s = [...s.slice(0, bestI), s[bestI]! + s[bestI + 1]!, ...s.slice(bestI + 2)];
        }
        for (const sym of s) out.push(id.get(sym)!);
    }
    return out;
}
