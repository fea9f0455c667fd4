import {describe, expect, it} from "vitest";
import {partialPersona} from "./personas-stage.js";

describe("partialPersona", () => {
    it("reads the persona written before a token budget cut the JSON inside the string", () => {
        expect(partialPersona('{"persona": "You are a chemist who checks every yield')).toBe("You are a chemist who checks every yield");
        expect(partialPersona('{ "persona" : "Line one\\nline \\"two')).toBe('Line one\nline "two');
        expect(partialPersona('{"persona": "cut in an escape \\')).toBe("cut in an escape");
    });

    it("gives nothing for text that is not a cut persona string", () => {
        expect(partialPersona('{"persona": "')).toBeUndefined();
        expect(partialPersona('{"persona": "done"}')).toBeUndefined();
        expect(partialPersona('{"other": "x')).toBeUndefined();
        expect(partialPersona("You are")).toBeUndefined();
    });
});
