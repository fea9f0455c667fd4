import {describe, expect, it} from "vitest";
import {cleanQuery, normalizeQuery, trigramSimilarity} from "./clean-query.js";

describe("cleanQuery", () => {
    it("keeps the first non-empty line", () => {
        expect(cleanQuery("\n  How do I invert a 3x3 matrix by hand?\nSecond line\n")).toBe("How do I invert a 3x3 matrix by hand?");
    });

    it("strips numbering, bullets, bold markers and quotes", () => {
        for (const raw of ["1. How does TCP recover from loss?", "Q3: How does TCP recover from loss?", "Question 12) How does TCP recover from loss?",
            "**Question 2:** How does TCP recover from loss?", "- \"How does TCP recover from loss?\"", "Question: How does TCP recover from loss?", "#4 - How does TCP recover from loss?"])
            expect(cleanQuery(raw), raw).toBe("How does TCP recover from loss?");
    });

    it("leaves numbers that are part of the question", () => {
        expect(cleanQuery("3.5 grams of salt in 2 litres: what molarity?")).toBe("3.5 grams of salt in 2 litres: what molarity?");
        expect(cleanQuery("   many   spaces\there ")).toBe("many spaces here");
    });
});

describe("query similarity", () => {
    it("normalises case and punctuation, and scores near duplicates high and unrelated texts low", () => {
        expect(normalizeQuery("What's the  BEST way?")).toBe("what s the best way");
        const a = normalizeQuery("How do I balance a binary search tree after many insertions?");
        expect(trigramSimilarity(a, a)).toBe(1);
        expect(trigramSimilarity(a, normalizeQuery("How do I balance a binary search tree after many insertions"))).toBeGreaterThan(0.9);
        expect(trigramSimilarity(a, normalizeQuery("Which poets shaped the Harlem Renaissance, and how?"))).toBeLessThan(0.2);
    });
});
