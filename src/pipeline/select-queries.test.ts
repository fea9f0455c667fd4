import {describe, expect, it} from "vitest";
import type {QueryAttemptRecord} from "./run-records.js";
import {assignSplits, selectDomainQueries} from "./select-queries.js";

const attempt = (i: number, text: string): QueryAttemptRecord => ({id: `math/${i}`, domain: "math", attempt: i, seed: i, text, finishReason: "stop", outputTokens: 10});
const options = {limit: 3, nearDuplicateSimilarity: 0.8};

describe("selectDomainQueries", () => {
    it("drops short, duplicate and near-duplicate queries, in attempt order, up to the limit", () => {
        const attempts = [
            attempt(0, "1. How do I prove that the square root of 2 is irrational?"),
            attempt(1, "Why?"),
            attempt(2, "How do I prove that the square root of 3 is irrational?"),
            attempt(3, "HOW DO I PROVE THAT THE SQUARE ROOT OF 2 IS IRRATIONAL?"),
            attempt(4, "What is the expected number of coin flips to see two heads in a row?"),
            attempt(5, "How can I compute the determinant of a 4x4 matrix quickly?"),
            attempt(6, "How many primes are there below one million, roughly?")
        ];
        const s = selectDomainQueries(attempts, options);
        expect(s.kept.map((q) => q.id)).toEqual(["math/0", "math/4", "math/5"]);
        expect(s.kept[0]!.text).toBe("How do I prove that the square root of 2 is irrational?");
        expect(s.dropped).toEqual({tooShort: 1, duplicate: 1, nearDuplicate: 1});
        expect(s.attempts).toBe(6);
    });

    it("looks only at a gap-free prefix of attempts, whatever order they arrive in", () => {
        const attempts = [attempt(2, "What is the integral of x squared from zero to one?"), attempt(0, "How do I factor a cubic polynomial by hand?")];
        const s = selectDomainQueries(attempts, options);
        expect(s.kept.map((q) => q.id)).toEqual(["math/0"]);
        expect(s.attempts).toBe(1);
    });
});

describe("assignSplits", () => {
    const queries = ["a", "b"].flatMap((domain) => Array.from({length: 10}, (_, i) => ({id: `${domain}/${i}`, domain, text: `query number ${i} of ${domain}`})));

    it("holds out the share of each domain, seeded", () => {
        const split = assignSplits(queries, 0.2, 1);
        for (const d of ["a", "b"]) expect(split.filter((q) => q.domain === d && q.split === "heldOut")).toHaveLength(2);
        expect(assignSplits(queries, 0.2, 1)).toEqual(split);
        expect(assignSplits(queries, 0.2, 2).map((q) => q.split)).not.toEqual(split.map((q) => q.split));
    });

    it("holds out at least one of two or more, never all, none of one", () => {
        expect(assignSplits(queries.slice(0, 2), 0.01, 1).filter((q) => q.split === "heldOut")).toHaveLength(1);
        expect(assignSplits(queries.slice(0, 2), 0.99, 1).filter((q) => q.split === "heldOut")).toHaveLength(1);
        expect(assignSplits(queries.slice(0, 1), 0.5, 1)[0]!.split).toBe("train");
    });
});
