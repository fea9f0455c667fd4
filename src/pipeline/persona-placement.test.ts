import {describe, expect, it} from "vitest";
import {teacherMessages} from "../train/training-example.js";
import {effectivePlacement} from "./persona-placement.js";

const query = [{role: "user" as const, content: "How do I prove this?"}];

describe("persona placement", () => {
    it("is the system turn only when asked for and the template has one", () => {
        expect(effectivePlacement("system", true)).toBe("system");
        expect(effectivePlacement("system", false)).toBe("user");
        expect(effectivePlacement("user", true)).toBe("user");
    });

    it("puts the persona where the placement says, leaving the query itself", () => {
        expect(teacherMessages(query, "You are a mathematician.", effectivePlacement("system", true) === "system"))
            .toEqual([{role: "system", content: "You are a mathematician."}, ...query]);
        expect(teacherMessages(query, "You are a mathematician.", effectivePlacement("user", true) === "system"))
            .toEqual([{role: "user", content: "You are a mathematician.\n\nHow do I prove this?"}]);
    });
});
