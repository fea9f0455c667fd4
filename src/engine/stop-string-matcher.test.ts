import {describe, expect, it} from "vitest";
import {StopStringMatcher} from "./stop-string-matcher.js";

function run(stops: string[], deltas: string[]): {emitted: string[], stopped: boolean, rest: string} {
    const m = new StopStringMatcher(stops);
    const emitted: string[] = [];
    for (const d of deltas) {
        const r = m.push(d);
        emitted.push(r.text);
        if (r.stopped) return {emitted, stopped: true, rest: ""};
    }
    return {emitted, stopped: false, rest: m.flush()};
}

describe("StopStringMatcher", () => {
    it("stops before a stop string split across deltas and never emits a piece of it", () => {
        const r = run(["END"], ["hello E", "N", "D and more"]);
        expect(r).toEqual({emitted: ["hello ", "", ""], stopped: true, rest: ""});
    });
    it("releases held-back text when it turns out not to be a stop string", () => {
        const r = run(["END"], ["hello E", "x", "!"]);
        expect(r.emitted.join("") + r.rest).toBe("hello Ex!");
        expect(r.emitted).toEqual(["hello ", "Ex", "!"]);
        expect(r.stopped).toBe(false);
    });
    it("cuts at the earliest of several stop strings", () => {
        expect(run(["b", "xyz"], ["a xyz b"]).emitted).toEqual(["a "]);
    });
    it("passes everything through without stop strings", () => {
        expect(run([], ["a", "b"])).toEqual({emitted: ["a", "b"], stopped: false, rest: ""});
    });
    it("holds back a trailing partial match until flushed", () => {
        expect(run(["\n\n"], ["line\n"])).toEqual({emitted: ["line"], stopped: false, rest: "\n"});
    });
});
