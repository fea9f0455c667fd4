import {WORLD_BENCH} from "./benchmark-spec.js";
import {logFile} from "./run-evaluation.js";
import {WorldRecord} from "./runners/eval-records.js";
import {ResultLog} from "./runners/result-log.js";
import type {EvalSummary} from "./summary/eval-summary.js";
import {meanOfMeansCi} from "./summary/overall-score.js";
import {PLANTED_EFFECTS, plantedWinRate, WORLD_DOMAINS, type WorldDomain} from "../world/planted-effects.js";

/** One of issue 14's criteria on a world model: a stable id (what tests name), what it asks, the measured value, and whether it holds. */
export type WorldCriterion = {id: string, name: string, value: string, met: boolean};

/** A difference in points on the gain domains' items (paired per item, domains weighed alike), with a 95% bootstrap interval. */
export type GainDelta = {delta: number | null, ci: {low: number | null, high: number | null}};

/** What the world protocol measured: from the bootstrap run (win rates, gate, distillation) and `eval --bench world`. */
export type WorldProtocolFigures = {
    /** The bootstrap's persona win rate per domain (the self-judged share of pairs the persona won, both orders). */
    winRates: ReadonlyMap<string, number | null>,
    gateAuc: number | null,
    /** Held-out KL to the persona teacher before and after distillation. */
    klBefore: number | null, klAfter: number | null,
    eval: Pick<EvalSummary, "scores" | "world">,
    /** The run's own adapter against base on the gain domains, and the adapter distilled with the persona blanked. */
    ownAdapterGain: GainDelta, blankedAdapterGain: GainDelta
};

const GAIN = WORLD_DOMAINS.filter((d) => PLANTED_EFFECTS[d].kind === "gain");
const LOSS = WORLD_DOMAINS.filter((d) => PLANTED_EFFECTS[d].kind === "loss");

/**
 * Issue 14's criteria against the planted table: each domain's win rate within 10 points of the planted one; gate
 * AUC ≥ 0.9; KL −50%; the adapter recovering ≥ 80% of the persona's gain; prism within 2 points of the persona on
 * the gain domains and of base on the loss domains; prism above base, persona and adapter on the world overall with
 * intervals above 0; the run's adapter gaining and the blanked control not; routing against gain r, ρ ≥ 0.8.
 */
export function worldCriteria(f: WorldProtocolFigures): WorldCriterion[] {
    const out: WorldCriterion[] = [];
    const add = (id: string, name: string, value: string, met: boolean) => out.push({id, name, value, met});
    const world = f.eval.world;
    const persona = world?.persona ?? null;
    const score = (condition: string | null, domain: string) =>
        condition === null ? null : f.eval.scores.find((s) => s.benchmark === "world" && s.category === domain && s.condition === condition)?.score ?? null;
    const meanOf = (condition: string | null, domains: readonly WorldDomain[]) => {
        const xs = domains.map((d) => score(condition, d)).filter((x): x is number => x !== null);
        return xs.length === domains.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null;
    };

    for (const domain of WORLD_DOMAINS) {
        const planted = plantedWinRate(domain), got = f.winRates.get(domain) ?? null;
        add(`win-rate:${domain}`, `win rate ${domain} (planted ${pct(planted)})`, pct(got), got !== null && Math.abs(got - planted) <= 0.1 + 1e-9);
    }
    add("gate-auc", "gate held-out AUC ≥ 0.9", f.gateAuc === null ? "–" : f.gateAuc.toFixed(3), (f.gateAuc ?? 0) >= 0.9);
    add("kl", "held-out KL to the teacher −50%", `${f.klBefore?.toFixed(3) ?? "–"} → ${f.klAfter?.toFixed(3) ?? "–"}`,
        f.klBefore !== null && f.klAfter !== null && f.klAfter <= 0.5 * f.klBefore);

    const [gBase, gPersona, gAdapter, gPrism] = ["base", persona, "adapter", "prism"].map((c) => meanOf(c, GAIN));
    const recovery = gBase != null && gPersona != null && gAdapter != null && gPersona > gBase ? (gAdapter - gBase) / (gPersona - gBase) : null;
    add("adapter-recovery", "gain domains: adapter recovers ≥ 80% of the persona's gain", `base ${pts(gBase)}, persona ${pts(gPersona)}, adapter ${pts(gAdapter)}: ${pct(recovery)}`, (recovery ?? 0) >= 0.8);
    add("prism-gain", "gain domains: prism within 2 points of the persona", `prism ${pts(gPrism)}, persona ${pts(gPersona)}`, gPrism != null && gPersona != null && Math.abs(gPrism - gPersona) <= 2);
    const [lBase, lPrism] = ["base", "prism"].map((c) => meanOf(c, LOSS));
    add("prism-loss", "loss domains: prism within 2 points of base", `prism ${pts(lPrism)}, base ${pts(lBase)}`, lBase != null && lPrism != null && Math.abs(lPrism - lBase) <= 2);
    for (const [id, baseline] of [["base", "base"], ["persona", persona], ["adapter", "adapter"]] as const) {
        const d = world?.differences.find((x) => x.baseline === baseline);
        add(`overall:${id}`, `world overall: prism − ${baseline ?? "persona"} > 0, 95% interval above 0`, d ? `${pts(d.delta)} [${pts(d.ci.low)}, ${pts(d.ci.high)}]` : "–", (d?.ci.low ?? -1) > 0);
    }
    add("adapter-gain", "the run's adapter gains on the gain domains (interval above 0)", showGain(f.ownAdapterGain), (f.ownAdapterGain.ci.low ?? -1) > 0);
    const b = f.blankedAdapterGain.ci;
    add("blanked-control", "the blanked-persona control does not (interval includes 0)", showGain(f.blankedAdapterGain), b.low !== null && b.high !== null && b.low <= 0 && b.high >= 0);
    const {pearson = null, spearman = null} = world?.correlation ?? {};
    add("routing-correlation", "routing share vs persona gain: Pearson and Spearman ≥ 0.8", `r ${pearson?.toFixed(2) ?? "–"}, ρ ${spearman?.toFixed(2) ?? "–"}`, (pearson ?? 0) >= 0.8 && (spearman ?? 0) >= 0.8);
    return out;
}

/** `condition` − `baseline` on the gain domains' items of an evaluation's world logs, paired per item, with a 95% bootstrap interval (points). */
export async function gainDomainDelta(evalOut: string, condition: string, baseline = "base"): Promise<GainDelta> {
    const log = async (c: string) => new Map((await ResultLog.read(logFile(evalOut, WORLD_BENCH, c), WorldRecord)).map((r) => [r.id, r]));
    const [base, other] = [await log(baseline), await log(condition)];
    const parts = GAIN.map((d) => [...other.values()].filter((r) => r.domain === d && base.has(r.id)).map((r) => 100 * (r.score - base.get(r.id)!.score))).filter((v) => v.length > 0);
    if (parts.length === 0) return {delta: null, ci: {low: null, high: null}};
    const delta = parts.map((v) => v.reduce((a, b) => a + b, 0) / v.length).reduce((a, b) => a + b, 0) / parts.length;
    return {delta, ci: meanOfMeansCi(parts, {iterations: 2000, seed: 1})};
}

const pct = (x: number | null) => (x === null ? "–" : `${(100 * x).toFixed(0)}%`);
const pts = (x: number | null | undefined) => (x == null ? "–" : x.toFixed(1));
const showGain = (g: GainDelta) => `${pts(g.delta)} [${pts(g.ci.low)}, ${pts(g.ci.high)}]`;
