import {describe, expect, it} from "vitest";
import {partialPersona} from "./personas-stage.js";

describe("partialPersona", () => {
    it("reads the persona written before a token budget cut the JSON inside the string", () => {
        expect(partialPersona('{"persona": "You are a chemist who checks every yield')).toBe("You are a chemist who checks every yield");
        expect(partialPersona('{ "persona" : "Line one\\nline \\"two')).toBe('Line one\nline "two');
        expect(partialPersona('{"persona": "cut in an escape \\')).toBe("cut in an escape");
    });

    it("reads a persona whose string closed before the budget ran out in the whitespace before the brace", () => {
        expect(partialPersona('{"persona": "You are a chemist."   ')).toBe("You are a chemist.");
        expect(partialPersona('{"persona": "Done"\n\t')).toBe("Done");
        expect(partialPersona('{"persona": ""   ')).toBeUndefined();
    });

    it("gives nothing for text that is not a cut persona string", () => {
        expect(partialPersona('{"persona": "')).toBeUndefined();
        expect(partialPersona('{"persona": "done"}')).toBeUndefined();
        expect(partialPersona('{"other": "x')).toBeUndefined();
        expect(partialPersona("You are")).toBeUndefined();
    });
});
