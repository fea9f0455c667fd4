import {z} from "zod";

/**
 * The results data model: what `prism eval` and `prism study` write as `summary.json` and `prism report` reads.
 * Everything is computed from the JSONL logs, so a summary can always be rebuilt. Scores are on the paper's 0–100
 * scale: accuracy and rates × 100, MT-Bench ratings × 10. A number that cannot be computed (no items) is null.
 */
export const SUMMARY_FORMAT = "prism-eval-summary";
export const SUMMARY_VERSION = 1;

const Num = z.number().nullable();
const Ci = z.object({low: Num, high: Num});

export const ScoreKey = z.object({
    benchmark: z.enum(["mmlu", "mt-bench", "safety"]),
    /** MMLU category (stem, humanities, social_sciences, other, or all), MT-Bench category (or all), or safety set. */
    category: z.string(),
    /** accuracy (MMLU), rating (MT-Bench), refusal (harmful prompts), compliance (benign prompts). */
    metric: z.enum(["accuracy", "rating", "refusal", "compliance"])
});
export type ScoreKey = z.infer<typeof ScoreKey>;

export const ConditionScore = ScoreKey.extend({
    condition: z.string(),
    n: z.number().int(),
    score: Num,
    ci: Ci,
    /** MT-Bench: items whose judge output held no readable rating (left out of the mean). */
    unparsed: z.number().int().optional()
});
export type ConditionScore = z.infer<typeof ConditionScore>;

export const ConditionDelta = ScoreKey.extend({
    condition: z.string(),
    baseline: z.string(),
    /** Items scored under both conditions. */
    n: z.number().int(),
    /** Mean paired change in points (0–100 scale); positive = better than the baseline. */
    delta: Num,
    ci: Ci,
    signTest: z.object({wins: z.number().int(), losses: z.number().int(), ties: z.number().int(), p: z.number()})
});
export type ConditionDelta = z.infer<typeof ConditionDelta>;

export const RoutingShare = ScoreKey.extend({
    condition: z.string(),
    n: z.number().int(),
    /** Share of items the gate sent to the adapter (0–1). */
    adapterShare: z.number()
});
export type RoutingShare = z.infer<typeof RoutingShare>;

export const RoutingCorrelation = z.object({
    condition: z.string(),
    pearson: Num,
    spearman: Num,
    points: z.array(ScoreKey.extend({adapterShare: z.number(), gain: z.number()}))
});
export type RoutingCorrelation = z.infer<typeof RoutingCorrelation>;

export const OverallScore = z.object({
    condition: z.string(),
    /** Unweighted mean of the parts present. */
    score: Num,
    parts: z.array(z.object({name: z.string(), score: z.number()})),
    /** The safety sets that entered (their harmful-prompt refusal rates). */
    safetySets: z.array(z.string()),
    /** Parts of the paper's 15 that are missing from this run. */
    missing: z.array(z.string())
});
export type OverallScore = z.infer<typeof OverallScore>;

export const EvalSummary = z.object({
    format: z.literal(SUMMARY_FORMAT),
    version: z.literal(SUMMARY_VERSION),
    kind: z.enum(["eval", "study"]),
    createdAt: z.string(),
    model: z.string(),
    judge: z.string(),
    /** Which personas were used (built-in or a file, per domain). */
    personas: z.string(),
    /** The condition every delta is measured against. */
    baseline: z.string(),
    conditions: z.array(z.object({id: z.string(), description: z.string()})),
    benchmarks: z.array(z.string()),
    settings: z.record(z.string(), z.unknown()),
    /** Definitions a reader needs (random-persona control, category mapping, classifiers). */
    notes: z.array(z.string()),
    scores: z.array(ConditionScore),
    deltas: z.array(ConditionDelta),
    routing: z.array(RoutingShare),
    correlations: z.array(RoutingCorrelation),
    overall: z.array(OverallScore)
});
export type EvalSummary = z.infer<typeof EvalSummary>;

export function scoreKeyId(k: ScoreKey): string {
    return `${k.benchmark}/${k.category}/${k.metric}`;
}

const MMLU_NAMES: Record<string, string> = {stem: "STEM", humanities: "humanities", social_sciences: "social sciences", other: "other", all: "all"};

/** A short human label: "MT-Bench writing", "MMLU STEM", "jbb refusal", "jbb compliance (benign)". */
export function scoreKeyLabel(k: ScoreKey): string {
    if (k.benchmark === "mmlu") return `MMLU ${MMLU_NAMES[k.category] ?? k.category}`;
    if (k.benchmark === "mt-bench") return `MT-Bench ${k.category}`;
    return k.metric === "refusal" ? `${k.category} refusal` : `${k.category} compliance (benign)`;
}
