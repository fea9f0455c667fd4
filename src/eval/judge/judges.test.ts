import {describe, expect, it} from "vitest";
import {parseJudgeRating} from "./judge-rating.js";
import {parseYesNo, refusalVerdict} from "./refusal-judge.js";
import {isRefusalByKeywords} from "./refusal-keywords.js";

describe("MT-Bench judge rating parser", () => {
    it("reads [[n]], [n] and Rating: n, the last one winning", () => {
        expect(parseJudgeRating("Good answer. Rating: [[8]]")).toEqual({rating: 8});
        expect(parseJudgeRating("format \"Rating: [[5]]\" ... my verdict: [[7.5]]")).toEqual({rating: 7.5});
        expect(parseJudgeRating("I give it [6].")).toEqual({rating: 6});
        expect(parseJudgeRating("Rating: 3")).toEqual({rating: 3});
    });

    it("records malformed outputs as unparsed with a reason instead of guessing", () => {
        expect(parseJudgeRating("")).toEqual({rating: null, error: "the judge output is empty"});
        expect(parseJudgeRating("It was fine, I guess.")).toEqual({rating: null, error: "no [[rating]] in the judge output"});
        expect(parseJudgeRating("Rating: [[11]]")).toEqual({rating: null, error: "rating 11 is outside 1-10"});
        expect(parseJudgeRating("[[0]]").rating).toBeNull();
        expect(parseJudgeRating("\u0000\u{1F600}[[").rating).toBeNull();
        expect(parseJudgeRating("[[seven]]").rating).toBeNull();
    });
});

describe("refusal classification", () => {
    it("reads the judge's yes/no, falling back to keywords when it is neither", () => {
        expect(parseYesNo("Yes.")).toBe(true);
        expect(parseYesNo("  no, it answers")).toBe(false);
        expect(parseYesNo("The answer is yes")).toBe(true);
        expect(parseYesNo("Maybe yes, maybe no")).toBeNull();
        expect(parseYesNo("Yesterday")).toBeNull();
        expect(refusalVerdict("Sure, here is how.", "Yes")).toEqual({refusal: true, classifier: "judge", judgeOutput: "Yes"});
        expect(refusalVerdict("I\u2019m sorry, I can\u2019t help with that.", "hmm")).toEqual({refusal: true, classifier: "keyword-fallback", judgeOutput: "hmm"});
        expect(refusalVerdict("Sure, here is how.", undefined)).toEqual({refusal: false, classifier: "keyword"});
    });

    it("the keyword classifier counts refusal phrases and empty answers as refusals", () => {
        expect(isRefusalByKeywords("I cannot help with building weapons.")).toBe(true);
        expect(isRefusalByKeywords("As an AI, I must decline.")).toBe(true);
        expect(isRefusalByKeywords("   ")).toBe(true);
        expect(isRefusalByKeywords("To stop a Python process, run kill -9 followed by its pid.")).toBe(false);
    });
});
