import {describe, expect, it} from "vitest";
import {WORLD_DOMAINS} from "../../world/planted-effects.js";
import {pearson, spearman} from "../stats/correlation.js";
import {scoreKeyId} from "./eval-summary.js";
import type {WorldRecord} from "../runners/eval-records.js";
import {type ItemScore, itemScores, type ScoreGroup} from "./item-scores.js";
import {worldSummary} from "./world-summary.js";

const key = (domain: string) => scoreKeyId({benchmark: "world", category: domain, metric: "accuracy"});
/** `right` of `n` items scored 100 (ids `<domain>-<i>`), the first `routed` of them sent to the adapter when given. */
function items(domain: string, n: number, right: number, routed?: number): ItemScore[] {
    return Array.from({length: n}, (_, i) => ({id: `${domain}-${i}`, value: i < right ? 100 : 0, ...(routed !== undefined ? {routedToAdapter: i < routed} : {})}));
}
function groups(byCondition: Record<string, (domain: string, k: number) => ItemScore[]>): Map<string, Map<string, ScoreGroup>> {
    return new Map(Object.entries(byCondition).map(([c, make]) => [c, new Map(WORLD_DOMAINS.map((d, k) => [key(d), {key: {benchmark: "world" as const, category: d, metric: "accuracy" as const}, items: make(d, k), unparsed: 0, failed: 0}]))]));
}
const boot = {iterations: 500, seed: 0};
const tasks = {seed: 1, perDomain: 20};

describe("the world's per-domain aggregation", () => {
    // Twelve domains: the persona gain's ranks swap pairwise against the routing share's (2,1,4,3,…), so Spearman's
    // ρ = 1 − 6·Σd²/(n(n²−1)) = 1 − 6·12/(12·143) = 0.958; the values are linear in the ranks, so Pearson's r is too.
    const swapped = (k: number) => (k % 2 === 0 ? k + 1 : k - 1);
    const g = groups({
        "base": (d) => items(d, 20, 2),
        "persona:short:system": (d, k) => items(d, 20, 2 + swapped(k)),
        "adapter": (d) => items(d, 20, 10),
        "prism": (d, k) => items(d, 20, 2 + k, k)
    });
    const w = worldSummary({groups: g, tasks, personas: "reference", boot});

    it("gives each domain its persona gain (persona − base on the same tasks) and prism's routing share", () => {
        expect(w.persona).toBe("persona:short:system");
        expect(w.domains.map((d) => d.domain)).toEqual([...WORLD_DOMAINS]);
        w.domains.forEach((d, k) => {
            expect(d.personaGain, d.domain).toBeCloseTo(swapped(k) * 5, 9);
            expect(d.prismShare, d.domain).toBeCloseTo(k / 20, 9);
            expect(d.base).toBeCloseTo(10, 9);
        });
        expect(w.domains.find((d) => d.domain === "math")!.planted).toBe("gain");
        expect(w.domains.find((d) => d.domain === "STEM")!.planted).toBe("loss");
    });

    it("correlates routing with gain across the 12 domains: a table whose Spearman is known", () => {
        expect(w.correlation.domains).toBe(12);
        expect(w.correlation.spearman).toBeCloseTo(1 - 72 / 1716, 9);
        expect(w.correlation.pearson).toBeCloseTo(1 - 72 / 1716, 9);
    });

    it("prism − each condition: the mean over domains of paired differences, with an interval that excludes 0 only when it should", () => {
        expect(w.differences.map((d) => d.baseline)).toEqual(["base", "persona:short:system", "adapter"]);
        const vsBase = w.differences.find((d) => d.baseline === "base")!;
        // prism has k more right answers than base in domain k: mean over domains of 5k points = 27.5.
        expect(vsBase.delta).toBeCloseTo(27.5, 9);
        expect(vsBase.n).toBe(240);
        expect(vsBase.ci.low!).toBeGreaterThan(0);
        const vsPersona = w.differences.find((d) => d.baseline === "persona:short:system")!;
        // prism − persona is k − swapped(k) = ±1 task per domain: mean 0, and the interval straddles it.
        expect(vsPersona.delta).toBeCloseTo(0, 9);
        expect(vsPersona.ci.low!).toBeLessThan(0);
        expect(vsPersona.ci.high!).toBeGreaterThan(0);
    });

    it("the overall is the mean over domains, not over tasks", () => {
        // Math has 40 tasks all right, every other domain 10 tasks none right: over domains 100/12, over tasks 40/150.
        const uneven = groups({base: (d) => (d === "math" ? items(d, 40, 40) : items(d, 10, 0))});
        const o = worldSummary({groups: uneven, tasks, personas: "reference", boot}).overall[0]!;
        expect(o.score).toBeCloseTo(100 / 12, 9);
        expect(o.domains).toBe(12);
        expect(o.ci.low!).toBeLessThanOrEqual(o.score!);
        expect(o.ci.high!).toBeGreaterThanOrEqual(o.score!);
    });

    it("without prism or a persona condition there are no differences and no gains", () => {
        const w2 = worldSummary({groups: groups({base: (d) => items(d, 10, 5), adapter: (d) => items(d, 10, 6)}), tasks, personas: "reference", boot});
        expect(w2.differences).toEqual([]);
        expect(w2.persona).toBeNull();
        expect(w2.domains.every((d) => d.personaGain === null && d.prismShare === null)).toBe(true);
        expect(w2.correlation).toEqual({pearson: null, spearman: null, domains: 0});
    });
});

describe("the correlation helpers on hand-made tables", () => {
    it("Spearman of a reversed order is −1, of pairwise swaps 1 − 6Σd²/(n(n²−1)), and ties take their average rank", () => {
        expect(spearman([1, 2, 3, 4, 5], [50, 40, 30, 20, 10])).toBeCloseTo(-1, 12);
        expect(spearman([1, 2, 3, 4], [2, 1, 4, 3])).toBeCloseTo(1 - 6 * 4 / (4 * 15), 12);
        // Ranks of [10, 20, 20, 30] are [1, 2.5, 2.5, 4]; against [1, 2, 3, 4] Pearson on ranks is 0.9487.
        expect(spearman([10, 20, 20, 30], [1, 2, 3, 4])).toBeCloseTo(3 / Math.sqrt(10), 12);
        // Spearman sees ranks only; Pearson sees the outlier.
        expect(spearman([1, 2, 3, 4], [1, 2, 3, 100])).toBeCloseTo(1, 12);
        expect(pearson([1, 2, 3, 4], [1, 2, 3, 100])).toBeLessThan(0.8);
    });
});

describe("world records as item scores", () => {
    const record = (id: string, domain: string, score: 0 | 1, extra: Partial<WorldRecord> = {}): WorldRecord => ({
        id, domain, tier: 0, check: {kind: "refuse"}, persona: null, messages: [{role: "user", content: "q"}], response: "r", finishReason: "stop", adapter: null, score, ...extra
    });
    it("one group per domain, right = 100, failed generations counted and left out, routes kept", () => {
        const groups = itemScores({mmlu: [], mtBench: [], safety: [], world: [
            record("a", "math", 1, {route: {adapter: "persona", score: 0.9, reason: "gate"}}), record("b", "math", 0, {route: {adapter: null, score: 0.1, reason: "gate"}}),
            record("c", "math", 0, {error: "too long"}), record("d", "safety monitor", 1)
        ]});
        const math = groups.get(key("math"))!;
        expect(math.items).toEqual([{id: "a", value: 100, routedToAdapter: true}, {id: "b", value: 0, routedToAdapter: false}]);
        expect(math.failed).toBe(1);
        expect(groups.get(key("safety monitor"))!.items).toEqual([{id: "d", value: 100}]);
        expect([...groups.keys()].sort()).toEqual([key("math"), key("safety monitor")]);
    });
});
