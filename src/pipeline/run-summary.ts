import fs from "node:fs";
import path from "node:path";
import {z} from "zod";
import {binaryMetrics} from "../gate/binary-metrics.js";
import {loadGate} from "../gate/gate-file.js";
import {requireRunManifest, runFiles} from "../run/run-manifest.js";
import {MissingFileError} from "../util/prism-error.js";
import {PersonaRecord, QueryRecord, DatasetRecord, GateScoreRecord} from "./run-records.js";
import {readJsonl} from "../util/jsonl.js";

/** One row of the summary: a domain, or "all". */
export const DomainSummary = z.object({
    domain: z.string(),
    queries: z.number().int(),
    heldOut: z.number().int(),
    personaWins: z.number().int(),
    /** Share of the queries whose persona answer won self-verification. */
    personaWinRate: z.number(),
    /** Share of the held-out queries the gate sends to the adapter. */
    routedToAdapter: z.number().nullable(),
    /** The gate on the held-out queries, at its threshold. `auc` is null when the held-out share has one class only. */
    gateAccuracy: z.number().nullable(),
    gateAuc: z.number().nullable()
});
export type DomainSummary = z.infer<typeof DomainSummary>;

const Candidate = z.object({auc: z.number().nullable(), accuracy: z.number()});

export const RunSummary = z.object({
    format: z.literal("prism-run-summary"),
    version: z.literal(1),
    model: z.object({path: z.string(), fingerprint: z.string()}),
    judge: z.string(),
    domains: z.array(DomainSummary),
    overall: DomainSummary,
    adapter: z.object({
        path: z.string(),
        peftDir: z.string(),
        trainExamples: z.number().int(),
        heldOutExamples: z.number().int(),
        steps: z.number().int(),
        finalLoss: z.number().nullable(),
        /** Mean KL(teacher with persona ‖ student without) per answer token on the held-out persona wins, before and after training. */
        heldOutKlBefore: z.number().nullable(),
        heldOutKlAfter: z.number().nullable()
    }),
    gate: z.object({
        path: z.string(),
        kind: z.string(),
        threshold: z.number(),
        /** Both candidates' held-out figures at threshold 0.5. */
        candidates: z.object({mlp: Candidate.optional(), logreg: Candidate.optional()})
    })
});
export type RunSummary = z.infer<typeof RunSummary>;

/** The summary of a run whose gate stage is done, from its files. */
export async function computeRunSummary(dir: string): Promise<RunSummary> {
    const manifest = await requireRunManifest(dir);
    const file = (name: keyof typeof runFiles) => path.join(dir, runFiles[name]);
    const personas = await readJsonl(file("personas"), PersonaRecord);
    const queries = await readJsonl(file("queries"), QueryRecord);
    const wins = new Set((await readJsonl(file("distill"), DatasetRecord)).map((r) => r.id));
    const scores = await readJsonl(file("gateScores"), GateScoreRecord);
    const gate = await loadGate(file("gate"));
    const training = manifest.stages.distill?.details as {examples?: {train: number, heldOut: number}, losses?: number[], heldOutKl?: {before: number | null, after: number | null}} | undefined;

    const row = (domain: string, qs: QueryRecord[], ss: GateScoreRecord[]): DomainSummary => {
        const heldOut = ss.filter((s) => s.split === "heldOut");
        const metrics = heldOut.length > 0 ? binaryMetrics(heldOut.map((s) => s.score), heldOut.map((s) => s.label), gate.threshold) : undefined;
        const personaWins = qs.filter((q) => wins.has(q.id)).length;
        return {
            domain, queries: qs.length, heldOut: qs.filter((q) => q.split === "heldOut").length, personaWins,
            personaWinRate: qs.length === 0 ? 0 : personaWins / qs.length,
            routedToAdapter: heldOut.length === 0 ? null : heldOut.filter((s) => s.routed === "adapter").length / heldOut.length,
            gateAccuracy: metrics?.accuracy ?? null, gateAuc: metrics?.auc ?? null
        };
    };
    const candidate = (c: {heldOut: {auc: number | null, accuracy: number}} | undefined) => (c ? {auc: c.heldOut.auc, accuracy: c.heldOut.accuracy} : undefined);
    return {
        format: "prism-run-summary", version: 1, model: manifest.model, judge: String(manifest.config.judge ?? "pairwise"),
        domains: personas.map((p) => row(p.domain, queries.filter((q) => q.domain === p.id), scores.filter((s) => s.domain === p.id))),
        overall: row("all", queries, scores),
        adapter: {
            path: file("adapter"), peftDir: file("peftDir"),
            trainExamples: training?.examples?.train ?? 0, heldOutExamples: training?.examples?.heldOut ?? 0,
            steps: training?.losses?.length ?? 0, finalLoss: training?.losses?.at(-1) ?? null,
            heldOutKlBefore: training?.heldOutKl?.before ?? null, heldOutKlAfter: training?.heldOutKl?.after ?? null
        },
        gate: {
            path: file("gate"), kind: gate.kind, threshold: gate.threshold,
            candidates: {
                ...(gate.training?.candidates.mlp ? {mlp: candidate(gate.training.candidates.mlp)} : {}),
                ...(gate.training?.candidates.logreg ? {logreg: candidate(gate.training.candidates.logreg)} : {})
            }
        }
    };
}

/** Reads `summary.json` of a finished run. */
export async function readRunSummary(dir: string): Promise<RunSummary> {
    const file = path.join(dir, runFiles.summary);
    if (!fs.existsSync(file)) throw new MissingFileError(file, "run summary", {hint: `finish the run: prism bootstrap --out ${dir}`});
    return RunSummary.parse(JSON.parse(fs.readFileSync(file, "utf8")));
}

/** The summary as a table for people. */
export function formatRunSummary(s: RunSummary): string {
    const pct = (x: number | null) => (x === null ? "n/a" : `${(100 * x).toFixed(0)}%`);
    const num = (x: number | null, digits = 3) => (x === null ? "n/a" : x.toFixed(digits));
    const header = ["domain", "queries", "held out", "persona wins", "win rate", "→ adapter", "gate acc", "gate AUC"];
    const rows = [...s.domains, s.overall].map((d) => [d.domain, String(d.queries), String(d.heldOut), String(d.personaWins), pct(d.personaWinRate), pct(d.routedToAdapter), pct(d.gateAccuracy), num(d.gateAuc)]);
    const widths = header.map((h, j) => Math.max(h.length, ...rows.map((r) => r[j]!.length)));
    const line = (cells: string[]) => cells.map((c, j) => (j === 0 ? c.padEnd(widths[j]!) : c.padStart(widths[j]!))).join("  ");
    const rule = widths.map((w) => "─".repeat(w)).join("  ");
    const a = s.adapter, g = s.gate;
    const cand = (name: string, c: {auc: number | null, accuracy: number} | undefined) => (c ? `${name} AUC ${num(c.auc)} (acc ${pct(c.accuracy)})` : undefined);
    return [
        line(header), rule, ...rows.slice(0, -1).map(line), rule, line(rows.at(-1)!), "",
        `(win rate: persona answer preferred in self-verification (${s.judge}); → adapter, gate acc/AUC: on the held-out queries)`,
        `adapter  ${a.path}: ${a.trainExamples} training examples, ${a.steps} steps, final loss ${num(a.finalLoss, 4)}; held-out KL to the persona teacher ${num(a.heldOutKlBefore, 4)} → ${num(a.heldOutKlAfter, 4)}`,
        `gate     ${g.path}: ${g.kind}, threshold ${+g.threshold.toFixed(4)}; ${[cand("MLP", g.candidates.mlp), cand("logistic regression", g.candidates.logreg)].filter(Boolean).join(", ")}`
    ].join("\n");
}
