import {bootstrapMeanCi, mean, pairedDelta} from "../stats/bootstrap.js";
import {pearson, spearman} from "../stats/correlation.js";
import {signTest} from "../stats/sign-test.js";
import {type ConditionDelta, type ConditionScore, type EvalSummary, type RoutingCorrelation, type RoutingShare, scoreKeyId} from "./eval-summary.js";
import {type ConditionRecords, itemScores, type ScoreGroup} from "./item-scores.js";
import {overallScore} from "./overall-score.js";

export type SummarizeOptions = {
    /** Condition id → its records, in the order the report shows them. */
    records: ReadonlyMap<string, ConditionRecords>,
    /** The condition deltas are measured against. Defaults to `"base"`. */
    baseline?: string,
    /** Bootstrap resamples for every interval. Defaults to `2000`. */
    bootstrapIterations?: number,
    seed?: number
};

type Computed = Pick<EvalSummary, "scores" | "deltas" | "routing" | "correlations" | "overall">;

const finite = (x: number) => Number.isFinite(x) ? x : null;

/** Scores with bootstrap intervals, paired deltas against the baseline with sign tests, routing shares and their correlation with the gain. */
export function summarizeRecords(options: SummarizeOptions): Computed {
    const baseline = options.baseline ?? "base";
    const boot = {iterations: options.bootstrapIterations ?? 2000, seed: options.seed ?? 0};
    const groups = new Map([...options.records].map(([c, r]) => [c, itemScores(r)] as const));
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
                ...(g.key.benchmark === "mt-bench" ? {unparsed: g.unparsed} : {})});
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
    const overall = [...groups.keys()].map((c) => overallScore(c, scores));
    return {scores, deltas, routing, correlations, overall};
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
