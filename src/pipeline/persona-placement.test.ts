import {describe, expect, it} from "vitest";
import {effectivePlacement, withPersona} from "./persona-placement.js";

const query = [{role: "user" as const, content: "How do I prove this?"}];

describe("withPersona", () => {
    it("puts the persona in the system turn, before an existing system message", () => {
        expect(withPersona(query, "You are a mathematician.", "system", true)).toEqual([{role: "system", content: "You are a mathematician."}, ...query]);
        expect(withPersona([{role: "system", content: "Be brief."}, ...query], "P", "system", true))
            .toEqual([{role: "system", content: "P\n\nBe brief."}, ...query]);
    });

    it("puts it in front of the first user message when asked, or when the template has no system role", () => {
        const expected = [{role: "user", content: "You are a mathematician.\n\nHow do I prove this?"}];
        expect(withPersona(query, "You are a mathematician.", "user", true)).toEqual(expected);
        expect(withPersona(query, "You are a mathematician.", "system", false)).toEqual(expected);
        expect(effectivePlacement("system", false)).toBe("user");
        expect(effectivePlacement("system", true)).toBe("system");
    });

    it("leaves the query itself unchanged", () => {
        const messages = [...query];
        withPersona(messages, "P", "user", true);
        expect(messages).toEqual(query);
    });
});
