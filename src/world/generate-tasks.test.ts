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

    it("held-out tasks are known questions in unseen framings: the families are closed sets", () => {
        const trainQuestions = new Set(train.map((t) => t.question));
        expect(heldout.filter((t) => !trainQuestions.has(t.question)).map((t) => t.question)).toEqual([]);
        // A handful of questions per tier, so a world model can learn each one's answer and planted rate.
        for (const domain of WORLD_DOMAINS) {
            const questions = new Set(train.filter((t) => t.domain === domain).map((t) => t.question));
            expect(questions.size, domain).toBeGreaterThanOrEqual(TIERS);
            expect(questions.size, domain).toBeLessThanOrEqual(6 * TIERS);
        }
    });

    it("held-out prompts are distinct while a tier has unused ones (six framings each), and repeat only beyond that", () => {
        for (const seed of [1, 2, 3]) {
            const tasks = generateWorldTasks({seed, perDomain: 60, split: "heldout"});
            for (const domain of WORLD_DOMAINS) {
                const prompts = tasks.filter((t) => t.domain === domain).map((t) => t.prompt);
                expect(new Set(prompts).size, `${domain}, seed ${seed}`).toBe(60);
            }
        }
        // Beyond the space of a tier the draw still gives every task asked for, repeating prompts.
        const many = generateWorldTasks({seed: 1, perDomain: 300, split: "heldout", domains: ["writing"]});
        expect(many).toHaveLength(300);
        expect(new Set(many.map((t) => t.prompt)).size).toBeLessThan(300);
    });

    it("held-out ids never collide with training ids, and the split draw is seeded", () => {
        const ids = new Set(train.map((t) => t.id));
        expect(heldout.some((t) => ids.has(t.id))).toBe(false);
        expect(generateWorldTasks({seed: 3, perDomain: 10, split: "heldout"})).toEqual(generateWorldTasks({seed: 3, perDomain: 10, split: "heldout"}));
        expect(generateWorldTask("math", 4, new Rng(2), "x", "heldout").prompt).not.toBe(generateWorldTask("math", 4, new Rng(2), "x", "train").prompt);
    });
});
