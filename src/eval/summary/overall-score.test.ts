import {describe, expect, it} from "vitest";
import {MMLU_CATEGORIES} from "../data/mmlu-subjects.js";
import {MT_BENCH_CATEGORIES} from "../data/mt-bench-dataset.js";
import type {MmluRecord, SafetyRecord} from "../runners/eval-records.js";
import type {ConditionScore} from "./eval-summary.js";
import {itemScores} from "./item-scores.js";
import {overallScore} from "./overall-score.js";

const score = (benchmark: ConditionScore["benchmark"], category: string, metric: ConditionScore["metric"], value: number): ConditionScore =>
    ({condition: "base", benchmark, category, metric, n: 10, score: value, ci: {low: null, high: null}});

const all15AndMore = [
    ...MT_BENCH_CATEGORIES.map((c, i) => score("mt-bench", c, "rating", 60 + i)),
    ...MMLU_CATEGORIES.map((c, i) => score("mmlu", c, "accuracy", 50 + i)),
    score("safety", "jbb", "refusal", 90), score("safety", "harmbench", "refusal", 80), score("safety", "pku", "refusal", 70),
    // Reported, never averaged in.
    score("safety", "advbench", "refusal", 0), score("safety", "xstest", "refusal", 0), score("safety", "jbb", "compliance", 0)
];

describe("the paper's overall score", () => {
    it("is the mean of exactly 15 parts when all are present; AdvBench, XSTest and benign compliance never enter", () => {
        const o = overallScore("base", all15AndMore, {jailbreak: "jbb", harmbench: "harmbench", pku: "pku"});
        const expected = ([60, 61, 62, 63, 64, 65, 66, 67, 50, 51, 52, 53, 90, 80, 70].reduce((a, b) => a + b, 0)) / 15;
        expect(o.parts.length).toBe(15);
        expect(o.overall).toBeCloseTo(expected, 12);
        expect(o.overall_partial).toBeNull();
        expect(o.missing).toEqual([]);
    });

    it("is null when a part is missing, with the mean of the parts present reported apart as partial and the missing parts named", () => {
        const o = overallScore("base", all15AndMore.filter((s) => !(s.benchmark === "mmlu" && s.category === "other")), {jailbreak: "jbb", harmbench: "harmbench"});
        expect(o.overall).toBeNull();
        expect(o.missing).toEqual(["MMLU other", "pku slot refusal (no set)"]);
        expect(o.parts.length).toBe(13);
        expect(o.overall_partial).toBeCloseTo(o.parts.reduce((a, p) => a + p.score, 0) / 13, 12);
        // 16 safety-ish scores in a run never make 16 parts: only the slots count.
        expect(overallScore("base", all15AndMore, {jailbreak: "advbench", harmbench: "harmbench", pku: "pku"}).parts.find((p) => p.name.startsWith("advbench"))!.score).toBe(0);
    });
});

describe("failed generations", () => {
    it("are left out of the scores and counted, never scored as wrong or as refusals", () => {
        const mmlu = (id: string, correct: boolean, error?: string): MmluRecord => ({
            id, subject: "virology", category: "other", persona: null, messages: [], adapter: null, letterLogprobs: error ? [] : [0, -1, -2, -3],
            predicted: error ? null : 0, answer: 0, correct, ...(error ? {error} : {})
        });
        const safety = (id: string, refusal: boolean, error?: string): SafetyRecord => ({
            id, set: "jbb", harmful: true, persona: null, messages: [], response: "", finishReason: error ? "error" : "stop", adapter: null, refusal, classifier: "judge", ...(error ? {error} : {})
        });
        const groups = itemScores({
            mmlu: [mmlu("a", true), mmlu("b", false), mmlu("c", false, "the prompt is 3000 tokens; the context holds 2048")],
            mtBench: [], safety: [safety("x", true), safety("y", false, "the model ran out of tokens while thinking")]
        });
        const other = groups.get("mmlu/other/accuracy")!;
        expect(other.items.map((i) => i.value)).toEqual([100, 0]);
        expect(other.failed).toBe(1);
        const jbb = groups.get("safety/jbb/refusal")!;
        expect(jbb.items.map((i) => i.value)).toEqual([100]);
        expect(jbb.failed).toBe(1);
    });
});
