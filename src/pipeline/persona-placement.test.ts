import {describe, expect, it} from "vitest";
import {effectivePlacement, placePersona} from "../train/persona-placement.js";

const query = [{role: "user" as const, content: "How do I prove this?"}];

describe("persona placement", () => {
    it("is the system turn only when asked for and the template has one", () => {
        expect(effectivePlacement("system", true)).toBe("system");
        expect(effectivePlacement("system", false)).toBe("user");
        expect(effectivePlacement("user", true)).toBe("user");
    });

    it("puts the persona where the placement says, leaving the query itself", () => {
        expect(placePersona(query, "You are a mathematician.", "system", true)).toEqual([{role: "system", content: "You are a mathematician."}, ...query]);
        expect(placePersona(query, "You are a mathematician.", "user", true)).toEqual([{role: "user", content: "You are a mathematician.\n\nHow do I prove this?"}]);
        expect(placePersona(query, "You are a mathematician.", "system", false)).toEqual([{role: "user", content: "You are a mathematician.\n\nHow do I prove this?"}]);
    });

    it("keeps an existing system prompt after the persona, and puts the persona in the first user turn only", () => {
        const chat = [{role: "system" as const, content: "Be brief."}, ...query, {role: "assistant" as const, content: "A1"}, {role: "user" as const, content: "Q2"}];
        expect(placePersona(chat, "P", "system", true).map((m) => m.content)).toEqual(["P\n\nBe brief.", "How do I prove this?", "A1", "Q2"]);
        expect(placePersona(chat, "P", "user", true).map((m) => m.content)).toEqual(["P\n\nBe brief.\n\nHow do I prove this?", "A1", "Q2"]);
    });
});
