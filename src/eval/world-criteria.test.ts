import {describe, expect, it} from "vitest";
import {PLANTED_EFFECTS, plantedWinRate, WORLD_DOMAINS} from "../world/planted-effects.js";
import type {EvalSummary} from "./summary/eval-summary.js";
import {worldCriteria, type WorldProtocolFigures} from "./world-criteria.js";

const PERSONA = "persona:short:system";
const ci = (low: number, high: number) => ({low, high});

/** Figures of a world where PRISM does exactly what the planted table says, with `overrides`. */
function figures(overrides: Partial<WorldProtocolFigures> = {}, scoreOf?: (condition: string, domain: string) => number): WorldProtocolFigures {
    const planted = (condition: string, domain: string) => {
        const e = PLANTED_EFFECTS[domain as keyof typeof PLANTED_EFFECTS];
        const helps = e.kind === "gain";
        const byCondition: Record<string, number> = {base: e.base, [PERSONA]: e.persona, adapter: e.persona, prism: helps ? e.persona : e.base};
        return 100 * byCondition[condition]!;
    };
    const score = scoreOf ?? planted;
    const scores = ["base", PERSONA, "adapter", "prism"].flatMap((condition) => WORLD_DOMAINS.map((domain) => ({benchmark: "world", category: domain, metric: "accuracy", condition, score: score(condition, domain)})));
    const difference = (baseline: string, delta: number) => ({condition: "prism", baseline, n: 120, delta, ci: ci(delta - 3, delta + 3)});
    const world = {
        persona: PERSONA,
        differences: [difference("base", 20), difference(PERSONA, 15), difference("adapter", 12)],
        correlation: {pearson: 0.95, spearman: 0.9, domains: 12}
    } as unknown as NonNullable<EvalSummary["world"]>;
    return {
        winRates: new Map(WORLD_DOMAINS.map((d) => [d, plantedWinRate(d)])), gateAuc: 0.97, klBefore: 0.4, klAfter: 0.1,
        eval: {scores: scores as unknown as EvalSummary["scores"], world},
        ownAdapterGain: {delta: 60, ci: ci(50, 70)}, blankedAdapterGain: {delta: 1, ci: ci(-4, 6)},
        ...overrides
    };
}
const unmet = (f: WorldProtocolFigures) => worldCriteria(f).filter((c) => !c.met).map((c) => c.id);

describe("worldCriteria", () => {
    it("holds every criterion on a world that behaves as planted, 23 in all", () => {
        const all = worldCriteria(figures());
        expect(all).toHaveLength(23);
        expect(unmet(figures())).toEqual([]);
    });

    it("fails each criterion on its own when its figure misses", () => {
        const off = new Map<string, number | null>(WORLD_DOMAINS.map((d) => [d, plantedWinRate(d)]));
        off.set("math", plantedWinRate("math") - 0.11);
        off.set("critic", null);
        expect(unmet(figures({winRates: off}))).toEqual(["win-rate:math", "win-rate:critic"]);
        expect(unmet(figures({gateAuc: 0.89}))).toEqual(["gate-auc"]);
        expect(unmet(figures({klAfter: 0.21}))).toEqual(["kl"]);
        expect(unmet(figures({ownAdapterGain: {delta: 5, ci: ci(-1, 11)}}))).toEqual(["adapter-gain"]);
        // The control the reference code fails: a blanked teacher whose adapter still gains.
        expect(unmet(figures({blankedAdapterGain: {delta: 40, ci: ci(30, 50)}}))).toEqual(["blanked-control"]);
        expect(unmet(figures({blankedAdapterGain: {delta: null, ci: {low: null, high: null}}}))).toEqual(["blanked-control"]);
        const f = figures();
        f.eval.world!.differences[1]!.ci.low = -0.5;
        f.eval.world!.correlation.spearman = 0.79;
        expect(unmet(f)).toEqual(["overall:persona", "routing-correlation"]);
    });

    it("compares prism with the persona on gain domains and with base on loss domains, and the adapter's share of the gain", () => {
        // Prism routes loss domains to the adapter: it loses the base's 50 points there.
        const leaky = (condition: string, domain: string) => {
            const e = PLANTED_EFFECTS[domain as keyof typeof PLANTED_EFFECTS];
            if (condition === "prism") return 100 * (e.kind === "loss" ? e.persona : e.kind === "gain" ? e.persona : e.base);
            if (condition === "adapter") return 100 * (e.base + 0.75 * (e.persona - e.base)); // 75% of the gain
            return 100 * (condition === "base" ? e.base : e.persona);
        };
        expect(unmet(figures({}, leaky))).toEqual(["adapter-recovery", "prism-loss"]);
        const c = worldCriteria(figures({}, leaky)).find((x) => x.id === "adapter-recovery")!;
        expect(c.value).toMatch(/: 75%$/);
    });
});
