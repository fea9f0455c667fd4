import fs from "node:fs";
import path from "node:path";
import {afterAll, describe, expect, it} from "vitest";
import {prismErrorOf} from "../../test/helpers/expect-prism-error.js";
import {tempDir} from "../../test/helpers/tiny-models.js";
import {conditionId, parseCondition, personaFor, randomOtherDomain, withPersona} from "./condition.js";
import {PERSONA_DOMAINS} from "./personas/persona-domain.js";
import {builtinPersonaSet, describePersonaSet, loadPersonaSet} from "./personas/persona-set.js";

const dir = tempDir("conditions");
afterAll(() => fs.rmSync(dir, {recursive: true, force: true}));

describe("conditions", () => {
    it("parses and round-trips every condition form", () => {
        for (const spec of ["base", "adapter", "prism", "persona:short:system", "persona:long:user", "persona:min:system:math", "persona:short:user:random", "persona:short:system:safety_monitor"])
            expect(conditionId(parseCondition(spec))).toBe(spec);
        expect(conditionId(parseCondition("persona"))).toBe("persona:short:system");
        expect(parseCondition("persona:long:user:Safety-Monitor")).toEqual({kind: "persona", length: "long", placement: "user", domain: "safety_monitor"});
    });

    it("rejects bad conditions as usage errors with the reason", async () => {
        expect((await prismErrorOf(() => parseCondition("persona:huge:system"))).message).toContain('persona length "huge"');
        expect((await prismErrorOf(() => parseCondition("persona:short:assistant"))).message).toContain('placement "assistant"');
        expect((await prismErrorOf(() => parseCondition("persona:short:user:astrology"))).message).toContain('unknown persona domain "astrology"');
        const err = await prismErrorOf(() => parseCondition("gated"));
        expect(err.exitCode).toBe(2);
        expect(err.hint).toContain("--conditions");
    });

    it("picks the matching persona per benchmark category, a fixed one, or another domain for the random control", () => {
        const set = builtinPersonaSet();
        expect(personaFor(parseCondition("persona:min:system"), set, "mt-bench", "coding", "x")!.domain).toBe("coding");
        expect(personaFor(parseCondition("persona:min:system"), set, "mmlu", "social_sciences", "x")!.domain).toBe("humanities");
        expect(personaFor(parseCondition("persona:min:system"), set, "mmlu", "other", "x")!.domain).toBe("stem");
        expect(personaFor(parseCondition("persona:long:user"), set, "safety", "jbb", "x")).toEqual({domain: "safety_monitor", text: set.texts.safety_monitor.long});
        expect(personaFor(parseCondition("persona:short:system:critic"), set, "mmlu", "stem", "x")!.domain).toBe("critic");
        expect(personaFor(parseCondition("base"), set, "mmlu", "stem", "x")).toBeNull();
        const picks = Array.from({length: 300}, (_, i) => randomOtherDomain("math", `item-${i}`));
        expect(picks).not.toContain("math");
        expect(new Set(picks).size).toBe(PERSONA_DOMAINS.length - 1);
        expect(randomOtherDomain("math", "item-7")).toBe(picks[7]);
    });

    it("places the persona as a system message or before the first user turn only", () => {
        const chat = [{role: "user" as const, content: "Q1"}, {role: "assistant" as const, content: "A1"}, {role: "user" as const, content: "Q2"}];
        const persona = {domain: "math" as const, text: "You are a mathematician."};
        expect(withPersona(chat, persona, "system", true)).toEqual([{role: "system", content: "You are a mathematician."}, ...chat]);
        expect(withPersona(chat, persona, "user", true).map((m) => m.content)).toEqual(["You are a mathematician.\n\nQ1", "A1", "Q2"]);
        // A template without a system role: the system-turn persona goes in front of the first user turn, as the teacher's.
        expect(withPersona(chat, persona, "system", false)).toEqual(withPersona(chat, persona, "user", true));
        expect(withPersona(chat, null, "user", true)).toEqual(chat);
    });

    it("built-in personas grow from min to short to long for all twelve domains", () => {
        const set = builtinPersonaSet();
        for (const d of PERSONA_DOMAINS) {
            const words = (s: string) => s.split(/\s+/).length;
            expect(words(set.texts[d].min)).toBeLessThanOrEqual(8);
            expect(words(set.texts[d].short)).toBeGreaterThan(30);
            expect(words(set.texts[d].long)).toBeGreaterThan(2 * words(set.texts[d].short));
        }
        expect(describePersonaSet(set)).toBe("built-in (hand-written): all 12 domains");
    });
});

describe("personas files", () => {
    it("reads JSON and JSONL, keeps built-in texts for missing domains and says which came from where", async () => {
        const json = path.join(dir, "personas.json");
        fs.writeFileSync(json, JSON.stringify({"safety monitor": {min: "m", short: "s", long: "l"}}));
        const set = await loadPersonaSet(dir);
        expect(set.texts.safety_monitor).toEqual({min: "m", short: "s", long: "l"});
        expect(set.texts.math).toEqual(builtinPersonaSet().texts.math);
        expect(describePersonaSet(set)).toBe(`built-in (hand-written): ${PERSONA_DOMAINS.filter((d) => d !== "safety_monitor").join(", ")}; ${json}: safety_monitor`);
        const jsonl = path.join(dir, "p.jsonl");
        fs.writeFileSync(jsonl, '{"domain": "math", "min": "a", "short": "b", "long": "c"}\n{"domain": "astrology", "min": "a", "short": "b", "long": "c"}\n');
        expect((await prismErrorOf(() => loadPersonaSet(jsonl))).message).toContain(`${jsonl}:2: unknown persona domain "astrology"`);
        fs.writeFileSync(json, JSON.stringify({math: {min: "m", short: "s"}}));
        expect((await prismErrorOf(() => loadPersonaSet(json))).message).toContain('invalid personas at "math.long"');
    });
});
