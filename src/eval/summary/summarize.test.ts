import {describe, expect, it} from "vitest";
import {syntheticEvalSummary, syntheticRecords} from "../../../test/helpers/synthetic-eval.js";
import {summarizeRecords} from "./summarize.js";

describe("summaries of evaluation records", () => {
    const s = syntheticEvalSummary(40);
    const delta = (condition: string, benchmark: string, category: string) =>
        s.deltas.find((d) => d.condition === condition && d.benchmark === benchmark && d.category === category)!;

    it("finds the planted effects with intervals that exclude zero, and sign tests that agree", () => {
        const writing = delta("persona:short:system", "mt-bench", "writing");
        expect(writing.n).toBe(40);
        expect(writing.delta!).toBeGreaterThan(8);
        expect(writing.ci.low!).toBeGreaterThan(0);
        expect(writing.signTest.p).toBeLessThan(0.01);
        const mmlu = delta("persona:short:system", "mmlu", "all");
        expect(mmlu.delta!).toBeLessThan(0);
        expect(mmlu.ci.high!).toBeLessThan(0);
        const refusal = delta("persona:short:system", "safety", "jbb");
        expect(refusal.metric).toBe("refusal");
        expect(refusal.delta!).toBeGreaterThan(0);
    });

    it("counts unreadable judge ratings instead of scoring them", () => {
        const math = s.scores.find((x) => x.condition === "base" && x.benchmark === "mt-bench" && x.category === "math")!;
        expect(math.unparsed).toBe(1);
        expect(math.n).toBe(39);
    });

    it("reports routing shares per category and their correlation with the gain", () => {
        const shares = s.routing.filter((r) => r.condition === "prism");
        const writing = shares.find((r) => r.category === "writing")!;
        const stem = shares.find((r) => r.benchmark === "mmlu" && r.category === "stem")!;
        expect(writing.adapterShare).toBeGreaterThan(0.6);
        expect(stem.adapterShare).toBeLessThan(0.4);
        expect(s.routing.some((r) => r.condition !== "prism")).toBe(false);
        const corr = s.correlations.find((c) => c.condition === "prism")!;
        expect(corr.points.length).toBe(shares.length);
        expect(corr.pearson!).toBeGreaterThan(0.3);
    });

    it("with the PKU slot empty the overall score is null, and the partial mean of the 14 parts present names what is missing", () => {
        const overall = s.overall.find((o) => o.condition === "base")!;
        expect(overall.parts.length).toBe(14);
        expect(overall.safetySlots).toEqual({jailbreak: "jbb", harmbench: "harmbench", pku: null});
        expect(overall.missing).toEqual(["pku slot refusal (no set)"]);
        expect(overall.overall).toBeNull();
        expect(overall.overall_partial).toBeCloseTo(overall.parts.reduce((a, p) => a + p.score, 0) / 14, 10);
        expect(overall.ci.low!).toBeLessThan(overall.overall_partial!);
        expect(overall.ci.high!).toBeGreaterThan(overall.overall_partial!);
        const mmluStem = s.scores.find((x) => x.condition === "base" && x.benchmark === "mmlu" && x.category === "stem")!;
        expect(overall.parts.find((p) => p.name === "MMLU STEM")!.score).toBe(mmluStem.score);
    });

    it("pairs only the items both conditions finished", () => {
        const base = syntheticRecords("base", {mmlu: 0, mtCreative: 0, mtOther: 0, refusal: 0, overRefusal: 0});
        const other = syntheticRecords("x", {mmlu: 0, mtCreative: 0, mtOther: 0, refusal: 0, overRefusal: 0});
        other.mmlu = other.mmlu.slice(0, 5);
        const {deltas} = summarizeRecords({records: new Map([["base", base], ["x", other]]), bootstrapIterations: 100});
        expect(deltas.find((d) => d.benchmark === "mmlu" && d.category === "all")!.n).toBe(5);
    });
});
