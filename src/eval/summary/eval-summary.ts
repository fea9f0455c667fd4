import {z} from "zod";

/**
 * The results data model: what `prism eval` and `prism study` write as `summary.json` and `prism report` reads.
 * Everything is computed from the JSONL logs, so a summary can always be rebuilt. Scores are on the paper's 0–100
 * scale: accuracy and rates × 100, MT-Bench ratings × 10. A number that cannot be computed (no items) is null.
 */
export const SUMMARY_FORMAT = "prism-eval-summary";
export const SUMMARY_VERSION = 2;

const Num = z.number().nullable();
const Ci = z.object({low: Num, high: Num});

export const ScoreKey = z.object({
    benchmark: z.enum(["mmlu", "mt-bench", "safety", "world"]),
    /** MMLU category (stem, humanities, social_sciences, other, or all), MT-Bench category (or all), safety set, or world domain. */
    category: z.string(),
    /** accuracy (MMLU, world), rating (MT-Bench), refusal (harmful prompts), compliance (benign prompts). */
    metric: z.enum(["accuracy", "rating", "refusal", "compliance", "attack_success"])
});
export type ScoreKey = z.infer<typeof ScoreKey>;

export const ConditionScore = ScoreKey.extend({
    condition: z.string(),
    n: z.number().int(),
    score: Num,
    ci: Ci,
    /** Judgments that could not be read (MT-Bench: left out of the mean, or the paper's defaulted 5.0; safety: decided by the keyword fallback). */
    unparsed: z.number().int().optional(),
    /** Items whose generation failed (prompt too long, engine error, thinking never finished): left out of the mean. */
    failed: z.number().int().optional()
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
    signTest: z.object({wins: z.number().int(), losses: z.number().int(), ties: z.number().int(), p: z.number()}),
    /** The sign test's p-value after Holm's correction over this condition's categories (multiple comparisons). */
    pHolm: z.number().optional()
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

export const SafetySlot = z.enum(["jailbreak", "harmbench", "pku"]);
export type SafetySlot = z.infer<typeof SafetySlot>;

export const OverallScore = z.object({
    condition: z.string(),
    /** The paper's overall score: the unweighted mean of its 15 parts; null unless all 15 are present. */
    overall: Num,
    /** The mean of the parts present, when some are missing (never comparable with the paper's overall); null when complete or empty. */
    overall_partial: Num,
    /** 95% bootstrap interval of `overall` (or of `overall_partial` when that is the one reported): items resampled within each part. */
    ci: Ci,
    parts: z.array(z.object({name: z.string(), score: z.number()})),
    /** The safety set in each of the paper's three safety slots (null: not in this run). */
    safetySlots: z.record(SafetySlot, z.string().nullable()),
    /** Parts of the paper's 15 that are missing from this run. */
    missing: z.array(z.string())
});
export type OverallScore = z.infer<typeof OverallScore>;

/** The planted world's benchmark (`--bench world`): its own overall score, PRISM's differences, routing against persona gain. */
export const WorldSummary = z.object({
    /** The held-out draw (generateWorldTasks, split "heldout") and the items run. */
    tasks: z.object({split: z.literal("heldout"), seed: z.number().int(), perDomain: z.number().int(), n: z.number().int()}),
    /** Which persona texts the `persona:*` conditions placed on world tasks. */
    personas: z.string(),
    /** The persona condition the persona gain and `prism − persona` use (the first matching-domain `persona:*`); null without one. */
    persona: z.string().nullable(),
    /** Per condition: the world's overall score, the mean over domains of the per-domain accuracy (0-100), with a 95% bootstrap interval (items resampled within each domain). */
    overall: z.array(z.object({condition: z.string(), score: Num, ci: Ci, domains: z.number().int()})),
    /** `prism` minus each other condition on the world's overall, paired per item within each domain, with a 95% bootstrap interval. */
    differences: z.array(z.object({condition: z.string(), baseline: z.string(), n: z.number().int(), delta: Num, ci: Ci})),
    /** Per domain: the planted effect's kind, base and persona accuracy, the persona gain (persona − base), and the share of `prism` routed to the adapter. */
    domains: z.array(z.object({
        domain: z.string(), planted: z.enum(["gain", "loss", "neutral"]), base: Num, persona: Num, personaGain: Num, prismShare: Num
    })),
    /** Across domains with both: correlation of `prism`'s routing share with the persona gain (the paper: r = 0.65, ρ = 0.75). */
    correlation: z.object({pearson: Num, spearman: Num, domains: z.number().int()})
});
export type WorldSummary = z.infer<typeof WorldSummary>;

/** A data file a run read, with its SHA-256, so two runs can be compared or refused as incomparable. */
export const DataFile = z.object({path: z.string(), sha256: z.string()});

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
    /** The protocol's name, every setting that changes numbers, and the anchor of each. */
    protocol: z.record(z.string(), z.unknown()),
    /** The data files read, hashed. */
    data: z.array(DataFile),
    /** Definitions a reader needs (random-persona control, category mapping, classifiers). */
    notes: z.array(z.string()),
    scores: z.array(ConditionScore),
    deltas: z.array(ConditionDelta),
    routing: z.array(RoutingShare),
    correlations: z.array(RoutingCorrelation),
    overall: z.array(OverallScore),
    /** Present when the run has the world benchmark. */
    world: WorldSummary.optional()
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
    if (k.benchmark === "world") return `world ${k.category}`;
    if (k.metric === "attack_success") return `${k.category} attack success (HarmBench classifier)`;
    return k.metric === "refusal" ? `${k.category} refusal` : `${k.category} compliance (benign)`;
}

/** "71.2 [69.0, 73.1]" for a complete overall score, "partial 64.0 [60.1, 67.7] (13/15 parts)" otherwise, "–" when empty. */
export function formatOverall(o: OverallScore): string {
    const ci = o.ci.low === null || o.ci.high === null ? "" : ` [${o.ci.low.toFixed(1)}, ${o.ci.high.toFixed(1)}]`;
    if (o.overall !== null) return `${o.overall.toFixed(1)}${ci}`;
    if (o.overall_partial !== null) return `partial ${o.overall_partial.toFixed(1)}${ci} (${o.parts.length}/15 parts)`;
    return "–";
}

/** "jailbreak=jbb, harmbench=harmbench, pku=none". */
export function formatSafetySlots(o: OverallScore): string {
    return Object.entries(o.safetySlots).map(([slot, set]) => `${slot}=${set ?? "none"}`).join(", ");
}
