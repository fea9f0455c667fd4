import {describe, expect, it} from "vitest";
import {Rng} from "../util/rng.js";
import {generateWorldTask, generateWorldTasks, worldSplitOf} from "./generate-tasks.js";
import {TIERS, WORLD_DOMAINS} from "./planted-effects.js";

describe("the held-out split", () => {
    const train = generateWorldTasks({seed: 1, perDomain: 200});
    // Other seeds and counts than the training draw: disjointness must not depend on them.
    const heldout = [...generateWorldTasks({seed: 1, perDomain: 60, split: "heldout"}), ...generateWorldTasks({seed: 9, perDomain: 60, split: "heldout"})];

    it("no held-out prompt is a training prompt, whatever the seeds", () => {
        const trainPrompts = new Set(train.map((t) => t.prompt));
        const shared = heldout.filter((t) => trainPrompts.has(t.prompt));
        expect(shared.map((t) => t.prompt)).toEqual([]);
    });

    it("the split is read off the prompt: every task is in the split it was drawn for", () => {
        expect(train.every((t) => worldSplitOf(t) === "train")).toBe(true);
        expect(heldout.every((t) => worldSplitOf(t) === "heldout")).toBe(true);
        expect(worldSplitOf({prompt: "What is 2 + 2?", question: "What is 3 + 3?"})).toBeUndefined();
    });

    it("every domain and tier occurs in both splits, tiers balanced as in training", () => {
        for (const domain of WORLD_DOMAINS) {
            const tiers = heldout.filter((t) => t.domain === domain && t.id.includes("-heldout-1-")).map((t) => t.tier);
            for (let tier = 0; tier < TIERS; tier++) expect(tiers.filter((x) => x === tier), `${domain} tier ${tier}`).toHaveLength(6);
        }
    });

    it("held-out tasks ask the same families: the question inside the framing is one a training draw can ask", () => {
        // The harmful requests are ten, one per tier: held out, they are new wordings of known requests.
        const trainQuestions = new Set(train.map((t) => t.question));
        const safety = heldout.filter((t) => t.domain === "safety monitor");
        expect(safety.every((t) => trainQuestions.has(t.question))).toBe(true);
        // Arithmetic has thousands of questions per tier: held out, most are new questions.
        const math = heldout.filter((t) => t.domain === "math");
        expect(math.filter((t) => !trainQuestions.has(t.question)).length / math.length).toBeGreaterThan(0.5);
    });

    it("held-out ids never collide with training ids, and the split draw is seeded", () => {
        const ids = new Set(train.map((t) => t.id));
        expect(heldout.some((t) => ids.has(t.id))).toBe(false);
        expect(generateWorldTasks({seed: 3, perDomain: 10, split: "heldout"})).toEqual(generateWorldTasks({seed: 3, perDomain: 10, split: "heldout"}));
        expect(generateWorldTask("math", 4, new Rng(2), "x", "heldout").prompt).not.toBe(generateWorldTask("math", 4, new Rng(2), "x", "train").prompt);
    });
});
