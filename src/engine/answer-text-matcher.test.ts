import {describe, expect, it} from "vitest";
import {AnswerTextMatcher} from "./answer-text-matcher.js";

const feed = (m: AnswerTextMatcher, deltas: string[]) => {
    let text = "";
    for (const [i, d] of deltas.entries()) {
        const r = m.push(d, i === deltas.length - 1);
        text += r.text;
        if (r.stopped || r.call) return {text, stopped: r.stopped, call: r.call, at: i};
    }
    return {text, stopped: false, call: false, at: deltas.length - 1};
};

describe("AnswerTextMatcher", () => {
    it("hands over to a tool call at a call start split across deltas, and never shows the prefix", () => {
        const m = new AnswerTextMatcher(["<|im_end|>"], ["||call: ", "||call:"]);
        const seen: string[] = [];
        for (const d of ["Let me check. |", "|ca", "ll: get_weather"]) {
            const r = m.push(d);
            seen.push(r.text);
            if (r.call) break;
        }
        expect(seen).toEqual(["Let me check. ", "", ""]);
        expect(feed(new AnswerTextMatcher([], ["||call: "]), ["a ||call: x"])).toEqual({text: "a ", stopped: false, call: true, at: 0});
    });

    it("ends at a stop string before a call start, and calls when the call start comes first", () => {
        expect(feed(new AnswerTextMatcher(["STOP"], ["||call: "]), ["one STOP ||call: f"])).toEqual({text: "one ", stopped: true, call: false, at: 0});
        expect(feed(new AnswerTextMatcher(["STOP"], ["||call: "]), ["one ||call: STOP"])).toEqual({text: "one ", stopped: false, call: true, at: 0});
    });

    it("releases held-back text that turned out to be neither, and all of it at the end", () => {
        const m = new AnswerTextMatcher(["<|im_end|>"], ["||call: "]);
        expect(m.push("a || b").text).toBe("a || b");
        expect(m.push(" <|im").text).toBe(" ");
        expect(m.push("x |").text).toBe("<|imx ");
        expect(m.push("|c", true)).toEqual({text: "||c", stopped: false, call: false});
    });

    it("without call starts it is a plain stop-string matcher", () => {
        expect(feed(new AnswerTextMatcher(["\n\n"], []), ["a\n", "\nb"])).toEqual({text: "a", stopped: true, call: false, at: 1});
        expect(feed(new AnswerTextMatcher([], []), ["||call: x"])).toEqual({text: "||call: x", stopped: false, call: false, at: 0});
    });
});
