import {bootstrapMeanCi, mean, pairedDelta} from "../stats/bootstrap.js";
import {pearson, spearman} from "../stats/correlation.js";
import {signTest} from "../stats/sign-test.js";
import {type ConditionDelta, type ConditionScore, type EvalSummary, type RoutingCorrelation, type RoutingShare, scoreKeyId} from "./eval-summary.js";
import {type ConditionRecords, itemScores, type ScoreGroup} from "./item-scores.js";
import {holm} from "../stats/multiple-comparisons.js";
import {type ItemScoreOptions} from "./item-scores.js";
import {DEFAULT_SAFETY_SLOTS, overallScore, type SafetySlots} from "./overall-score.js";
import {worldSummary, type WorldSummaryOptions} from "./world-summary.js";

export type SummarizeOptions = {
    /** Condition id → its records, in the order the report shows them. */
    records: ReadonlyMap<string, ConditionRecords>,
    /** The condition deltas are measured against. Defaults to `"base"`. */
    baseline?: string,
    /** Bootstrap resamples for every interval. Defaults to `2000`. */
    bootstrapIterations?: number,
    seed?: number,
    /** How MT-Bench ratings become items (the protocol's). Defaults to `per-judgment`. */
    mtBenchAggregate?: ItemScoreOptions["mtBenchAggregate"],
    /** The safety set in each of the paper's three safety slots. Defaults to jbb and harmbench. */
    safetySlots?: SafetySlots,
    /** With the world benchmark: its held-out draw and which personas its persona conditions placed. */
    world?: Pick<WorldSummaryOptions, "tasks" | "personas">
};

type Computed = Pick<EvalSummary, "scores" | "deltas" | "routing" | "correlations" | "overall" | "world">;

const finite = (x: number) => Number.isFinite(x) ? x : null;

/** Scores with bootstrap intervals, paired deltas against the baseline with sign tests, routing shares and their correlation with the gain. */
export function summarizeRecords(options: SummarizeOptions): Computed {
    const baseline = options.baseline ?? "base";
    const boot = {iterations: options.bootstrapIterations ?? 2000, seed: options.seed ?? 0};
    const groups = new Map([...options.records].map(([c, r]) => [c, itemScores(r, {mtBenchAggregate: options.mtBenchAggregate})] as const));
    const scores: ConditionScore[] = [];
    const deltas: ConditionDelta[] = [];
    const routing: RoutingShare[] = [];
    const correlations: RoutingCorrelation[] = [];
    const base = groups.get(baseline);
    for (const [condition, byKey] of groups) {
        for (const g of byKey.values()) {
            const values = g.items.map((i) => i.value);
            const ci = bootstrapMeanCi(values, boot);
            scores.push({...g.key, condition, n: values.length, score: finite(mean(values)), ci: {low: finite(ci.low), high: finite(ci.high)},
                unparsed: g.unparsed, failed: g.failed});
            const routed = g.items.filter((i) => i.routedToAdapter !== undefined);
            if (routed.length > 0 && g.key.category !== "all")
                routing.push({...g.key, condition, n: routed.length, adapterShare: routed.filter((i) => i.routedToAdapter).length / routed.length});
            const b = base?.get(scoreKeyId(g.key));
            if (condition !== baseline && b) deltas.push(pairedGroups(condition, baseline, b, g, boot));
        }
        const mine = routing.filter((r) => r.condition === condition);
        if (mine.length > 0) {
            const points = mine.flatMap((r) => {
                const d = deltas.find((x) => x.condition === condition && x.benchmark === r.benchmark && x.category === r.category && x.metric === r.metric);
                return d && d.delta !== null ? [{benchmark: r.benchmark, category: r.category, metric: r.metric, adapterShare: r.adapterShare, gain: d.delta}] : [];
            });
            const xs = points.map((p) => p.adapterShare), ys = points.map((p) => p.gain);
            correlations.push({condition, pearson: finite(pearson(xs, ys)), spearman: finite(spearman(xs, ys)), points});
        }
    }
    // Holm over each condition's per-category sign tests (the "all" rows summarise them and are left out).
    for (const condition of groups.keys()) {
        const family = deltas.filter((d) => d.condition === condition && d.category !== "all");
        holm(family.map((d) => d.signTest.p)).forEach((p, i) => family[i]!.pHolm = p);
    }
    const overall = [...groups.keys()].map((c) => overallScore(c, scores, options.safetySlots ?? DEFAULT_SAFETY_SLOTS, groups.get(c), boot));
    const world = options.world ? worldSummary({...options.world, groups, boot}) : undefined;
    return {scores, deltas, routing, correlations, overall, ...(world ? {world} : {})};
}

function pairedGroups(condition: string, baseline: string, base: ScoreGroup, treated: ScoreGroup, boot: {iterations: number, seed: number}): ConditionDelta {
    const baseById = new Map(base.items.map((i) => [i.id, i.value]));
    const pairs = treated.items.filter((i) => baseById.has(i.id));
    const control = pairs.map((i) => baseById.get(i.id)!);
    const treatment = pairs.map((i) => i.value);
    const {delta, ci} = pairedDelta(control, treatment, boot);
    return {
        ...treated.key, condition, baseline, n: pairs.length, delta: finite(delta), ci: {low: finite(ci.low), high: finite(ci.high)},
        signTest: signTest(treatment.map((t, i) => t - control[i]!))
    };
}
