import {type EvalSummary, formatOverall, formatSafetySlots, type WorldSummary} from "../eval/summary/eval-summary.js";
import {formatTable} from "./output.js";

/** The human summary `prism eval` and `prism study` print: the overall score and the headline numbers per condition. */
export function formatSummary(s: EvalSummary, out: string): string {
    const find = (condition: string, benchmark: string, category: string, metric: string) =>
        s.scores.find((x) => x.condition === condition && x.benchmark === benchmark && x.category === category && x.metric === metric);
    const num = (x: number | null | undefined, digits = 1) => (x === null || x === undefined ? "–" : x.toFixed(digits));
    // A run with none of the paper's 15 parts (the world alone) has no paper overall to print.
    const paperParts = s.overall.some((o) => o.parts.length > 0);
    const rows: [string, string][] = s.overall.map((o) => {
        const parts = paperParts ? [`overall ${formatOverall(o)}`] : [];
        const mmlu = find(o.condition, "mmlu", "all", "accuracy");
        if (mmlu) parts.push(`MMLU ${num(mmlu.score)}%`);
        const mt = find(o.condition, "mt-bench", "all", "rating");
        if (mt) parts.push(`MT-Bench ${num(mt.score === null ? null : mt.score / 10, 2)}${mt.unparsed ? ` (${mt.unparsed} unparsed)` : ""}`);
        const world = s.world?.overall.find((w) => w.condition === o.condition);
        if (world) parts.push(`world ${num(world.score)}`);
        for (const r of s.scores.filter((x) => x.condition === o.condition && x.benchmark === "safety"))
            parts.push(`${r.category} ${r.metric} ${num(r.score)}%${r.failed ? ` (${r.failed} failed)` : ""}`);
        // Category rows only: the "all" rows repeat them.
        const rows = s.scores.filter((x) => x.condition === o.condition && x.category !== "all");
        const unparsed = rows.reduce((a, x) => a + (x.unparsed ?? 0), 0), failed = rows.reduce((a, x) => a + (x.failed ?? 0), 0);
        if (unparsed + failed > 0) parts.push(`${unparsed} unparsed judgments, ${failed} failed generations`);
        return [o.condition, parts.join(", ")];
    });
    const safety = s.overall[0] ? formatSafetySlots(s.overall[0]) : "none";
    const slots = paperParts ? `safety slots of the overall score: ${safety}${s.overall[0]?.missing.length ? `; missing: ${s.overall[0].missing.join(", ")}` : ""}\n` : "";
    const world = s.world ? `${formatWorld(s.world)}\n` : "";
    return `${s.kind} of ${s.model} under the ${String(s.protocol.name)} protocol (judge: ${s.judge}), baseline ${s.baseline}\n${formatTable(rows)}\n` +
        `${slots}${world}wrote ${out}/summary.json and the logs in ${out}/logs; draw the charts with: prism report ${out}`;
}

/** The world benchmark's lines: PRISM's differences on the world's overall, and routing against persona gain. */
function formatWorld(w: WorldSummary): string {
    const f = (x: number | null, digits = 1) => (x === null ? "–" : x.toFixed(digits));
    const diffs = w.differences.map((d) => `prism − ${d.baseline} ${f(d.delta)} [${f(d.ci.low)}, ${f(d.ci.high)}]`).join(", ");
    return `world (held-out seed ${w.tasks.seed}, ${w.tasks.n} tasks; overall = mean over domains)${diffs ? `: ${diffs}` : ""}\n` +
        `world routing share of prism against persona gain over ${w.correlation.domains} domains: Pearson r = ${f(w.correlation.pearson, 2)}, Spearman ρ = ${f(w.correlation.spearman, 2)} (the paper: 0.65, 0.75)`;
}
