import {describe, expect, it} from "vitest";
import {bytesToUnicode, encodeWithBpe, trainByteBpe} from "./byte-bpe.js";
import {TINY_CORPUS} from "./tiny-corpus.js";

describe("byte-level BPE", () => {
    it("maps the 256 bytes to 256 distinct printable characters", () => {
        const map = bytesToUnicode();
        expect(new Set(map).size).toBe(256);
        expect(map[0x41]).toBe("A");
        expect(map[0x20]).toBe("Ġ");
    });

    it("is deterministic and merges frequent pairs first", () => {
        const a = trainByteBpe(TINY_CORPUS, 50), b = trainByteBpe(TINY_CORPUS, 50);
        expect(a).toEqual(b);
        expect(a.merges.length).toBe(50);
        expect(a.tokens.length).toBe(256 + 50);
        const encoded = encodeWithBpe(a, " the the the");
        expect(encoded.length).toBeLessThan(" the the the".length);
    });

    it("round-trips text through encode and the byte map", () => {
        const bpe = trainByteBpe(TINY_CORPUS, 200);
        const text = "Héllo, wörld! 12 + 30 = 42\n\tdef f(x): return x";
        const map = bytesToUnicode();
        const inverse = new Map(map.map((c, b) => [c, b]));
        const bytes = encodeWithBpe(bpe, text).flatMap((id) => Array.from(bpe.tokens[id]!, (c) => inverse.get(c)!));
        expect(new TextDecoder().decode(Uint8Array.from(bytes))).toBe(text);
    });
});
