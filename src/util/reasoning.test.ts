import {describe, expect, it} from "vitest";
import {splitReasoning, stripReasoning} from "./reasoning.js";

describe("splitReasoning", () => {
    it("removes a leading think block", () => {
        expect(splitReasoning("<think>Let me see. 2+2.</think>\n\nThe answer is 4.")).toEqual({text: "The answer is 4.", reasoning: "Let me see. 2+2.", unfinished: false});
    });

    it("reads a block opened by the chat template (only the close is in the text)", () => {
        expect(splitReasoning("hmm, B looks better\n</think>\nB")).toEqual({text: "B", reasoning: "hmm, B looks better", unfinished: false});
    });

    it("flags a block cut off before its close, leaving no answer", () => {
        expect(splitReasoning("<think>still going")).toEqual({text: "", reasoning: "still going", unfinished: true});
    });

    it("removes every block, case-insensitively, and leaves plain text alone", () => {
        expect(stripReasoning("<THINK>a</THINK>Rating: <think>b</think>[[7]]")).toBe("Rating: [[7]]");
        expect(stripReasoning("  no thinking here ")).toBe("no thinking here");
    });
});
