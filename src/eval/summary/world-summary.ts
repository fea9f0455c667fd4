import {PLANTED_EFFECTS, WORLD_DOMAINS} from "../../world/planted-effects.js";
import {parseCondition} from "../condition.js";
import {mean} from "../stats/bootstrap.js";
import {pearson, spearman} from "../stats/correlation.js";
import {scoreKeyId, type WorldSummary} from "./eval-summary.js";
import type {ItemScore, ScoreGroup} from "./item-scores.js";
import {meanOfMeansCi} from "./overall-score.js";

export type WorldSummaryOptions = {
    /** Condition id → its score groups (itemScores), in the run's order. */
    groups: ReadonlyMap<string, ReadonlyMap<string, ScoreGroup>>,
    tasks: {seed: number, perDomain: number},
    /** Which persona texts the persona conditions placed. */
    personas: string,
    boot: {iterations: number, seed: number}
};

const finite = (x: number | null) => (x !== null && Number.isFinite(x) ? x : null);
const worldKey = (domain: string) => scoreKeyId({benchmark: "world", category: domain, metric: "accuracy"});

/**
 * The world benchmark's own numbers: each condition's overall (the mean over domains, so every domain weighs the
 * same whatever `--limit` left of it), `prism` against every other condition on that overall (paired per item within
 * each domain, domains resampled apart as the paper's overall is), and per domain the persona gain (persona − base
 * on the same items) beside the share of `prism` routed to the adapter, with their correlation across domains.
 */
export function worldSummary(o: WorldSummaryOptions): WorldSummary {
    const items = (condition: string, domain: string): ItemScore[] => o.groups.get(condition)?.get(worldKey(domain))?.items ?? [];
    const domains = WORLD_DOMAINS.filter((d) => [...o.groups.keys()].some((c) => items(c, d).length > 0));
    const conditions = [...o.groups.keys()];
    const persona = conditions.find((c) => {
        try {
            const parsed = parseCondition(c);
            return parsed.kind === "persona" && parsed.domain === "matching";
        } catch {
            return false;
        }
    }) ?? null;

    const overall = conditions.map((condition) => {
        const parts = domains.map((d) => items(condition, d).map((i) => i.value)).filter((v) => v.length > 0);
        const ci = parts.length > 0 ? meanOfMeansCi(parts, o.boot) : {low: null, high: null};
        return {condition, score: parts.length > 0 ? mean(parts.map(mean)) : null, ci: {low: finite(ci.low), high: finite(ci.high)}, domains: parts.length};
    });

    /** `treatment − control` per domain on the items both have. */
    const pairedByDomain = (treatment: string, control: string) => domains.map((d) => {
        const byId = new Map(items(control, d).map((i) => [i.id, i.value]));
        return items(treatment, d).filter((i) => byId.has(i.id)).map((i) => i.value - byId.get(i.id)!);
    });
    const differences = conditions.includes("prism") ? conditions.filter((c) => c !== "prism").map((baseline) => {
        const parts = pairedByDomain("prism", baseline).filter((v) => v.length > 0);
        const ci = parts.length > 0 ? meanOfMeansCi(parts, o.boot) : {low: null, high: null};
        return {condition: "prism", baseline, n: parts.reduce((a, p) => a + p.length, 0), delta: parts.length > 0 ? mean(parts.map(mean)) : null, ci: {low: finite(ci.low), high: finite(ci.high)}};
    }) : [];

    const gains = persona && conditions.includes("base") ? pairedByDomain(persona, "base") : domains.map(() => []);
    const rows = domains.map((domain, k) => {
        const score = (c: string | null) => (c && items(c, domain).length > 0 ? mean(items(c, domain).map((i) => i.value)) : null);
        const routed = items("prism", domain).filter((i) => i.routedToAdapter !== undefined);
        return {
            domain, planted: PLANTED_EFFECTS[domain].kind, base: score(conditions.includes("base") ? "base" : null), persona: score(persona),
            personaGain: gains[k]!.length > 0 ? mean(gains[k]!) : null,
            prismShare: routed.length > 0 ? routed.filter((i) => i.routedToAdapter).length / routed.length : null
        };
    });
    const points = rows.filter((r) => r.personaGain !== null && r.prismShare !== null);
    const xs = points.map((r) => r.prismShare!), ys = points.map((r) => r.personaGain!);
    return {
        tasks: {split: "heldout", seed: o.tasks.seed, perDomain: o.tasks.perDomain, n: Math.max(0, ...conditions.map((c) => domains.reduce((a, d) => a + items(c, d).length, 0)))},
        personas: o.personas, persona, overall, differences, domains: rows,
        correlation: {pearson: finite(pearson(xs, ys)), spearman: finite(spearman(xs, ys)), domains: points.length}
    };
}
