import {parseCondition} from "../condition.js";
import {MMLU_CATEGORIES} from "../data/mmlu-subjects.js";
import {MT_BENCH_CATEGORIES} from "../data/mt-bench-dataset.js";
import {type ConditionDelta, type ConditionScore, type EvalSummary, type ScoreKey, scoreKeyId} from "../summary/eval-summary.js";

/** What the report shows, derived from a summary: the pieces both the HTML and the Markdown use. */
export type ReportView = {
    summary: EvalSummary,
    /** Every (benchmark, category, metric) row except the "all" rows, in display order. */
    categories: ScoreKey[],
    /** Conditions compared one by one against the baseline (in a study: the matching-persona grid and the random control). */
    compared: string[],
    /** Study only: conditions that use one fixed persona domain for every category. */
    fixedDomain: {condition: string, domain: string}[],
    tradeoff: {condition: string, mmluAccuracy: number, mtBench: number}[],
    score(condition: string, key: ScoreKey): ConditionScore | undefined,
    delta(condition: string, key: ScoreKey): ConditionDelta | undefined
};

const BENCH_ORDER = ["mt-bench", "mmlu", "safety", "world"];
const METRIC_ORDER = ["rating", "accuracy", "refusal", "compliance"];

export function reportView(summary: EvalSummary): ReportView {
    const keys = new Map<string, ScoreKey>();
    for (const s of summary.scores) if (s.category !== "all") keys.set(scoreKeyId(s), {benchmark: s.benchmark, category: s.category, metric: s.metric});
    // The paper's order within MT-Bench and MMLU; other categories (a user's own) after them, by name.
    const known: string[] = [...MT_BENCH_CATEGORIES, ...MMLU_CATEGORIES];
    const rank = (k: ScoreKey) => (known.includes(k.category) ? known.indexOf(k.category) : known.length);
    const categories = [...keys.values()].sort((a, b) =>
        BENCH_ORDER.indexOf(a.benchmark) - BENCH_ORDER.indexOf(b.benchmark) || rank(a) - rank(b) ||
        a.category.localeCompare(b.category) || METRIC_ORDER.indexOf(a.metric) - METRIC_ORDER.indexOf(b.metric));
    const scoreIndex = new Map(summary.scores.map((s) => [`${s.condition}|${scoreKeyId(s)}`, s]));
    const deltaIndex = new Map(summary.deltas.map((d) => [`${d.condition}|${scoreKeyId(d)}`, d]));
    const fixedDomain: ReportView["fixedDomain"] = [];
    const compared: string[] = [];
    for (const {id} of summary.conditions) {
        if (id === summary.baseline) continue;
        const c = safeParse(id);
        if (summary.kind === "study" && c?.kind === "persona" && c.domain !== "matching" && c.domain !== "random") fixedDomain.push({condition: id, domain: c.domain});
        else compared.push(id);
    }
    const tradeoff = summary.conditions.flatMap(({id}) => {
        const mmlu = scoreIndex.get(`${id}|mmlu/all/accuracy`)?.score;
        const mt = scoreIndex.get(`${id}|mt-bench/all/rating`)?.score;
        return mmlu != null && mt != null ? [{condition: id, mmluAccuracy: mmlu, mtBench: mt / 10}] : [];
    });
    return {
        summary, categories, compared, fixedDomain, tradeoff,
        score: (condition, key) => scoreIndex.get(`${condition}|${scoreKeyId(key)}`),
        delta: (condition, key) => deltaIndex.get(`${condition}|${scoreKeyId(key)}`)
    };
}

function safeParse(id: string) {
    try {
        return parseCondition(id);
    } catch {
        return undefined;
    }
}


/** "+3.2 [−1.0, 7.5]" for a delta; "n/a" without data. */
export function formatDelta(d: ConditionDelta | undefined): string {
    if (!d || d.delta === null) return "n/a";
    const sign = (x: number) => (x > 0 ? "+" : "") + x.toFixed(1);
    return `${sign(d.delta)} [${d.ci.low === null ? "?" : sign(d.ci.low)}, ${d.ci.high === null ? "?" : sign(d.ci.high)}]`;
}

/** A delta whose interval excludes zero. */
export function isClear(d: ConditionDelta): boolean {
    return d.delta !== null && d.ci.low !== null && d.ci.high !== null && (d.ci.low > 0 || d.ci.high < 0);
}

export function formatP(p: number): string {
    return p < 0.001 ? "p<0.001" : `p=${p.toFixed(3)}`;
}
