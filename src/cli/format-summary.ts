import {type EvalSummary, formatOverall, formatSafetySlots} from "../eval/summary/eval-summary.js";
import {formatTable} from "./output.js";

/** The human summary `prism eval` and `prism study` print: the overall score and the headline numbers per condition. */
export function formatSummary(s: EvalSummary, out: string): string {
    const find = (condition: string, benchmark: string, category: string, metric: string) =>
        s.scores.find((x) => x.condition === condition && x.benchmark === benchmark && x.category === category && x.metric === metric);
    const num = (x: number | null | undefined, digits = 1) => (x === null || x === undefined ? "–" : x.toFixed(digits));
    const rows: [string, string][] = s.overall.map((o) => {
        const parts = [`overall ${formatOverall(o)}`];
        const mmlu = find(o.condition, "mmlu", "all", "accuracy");
        if (mmlu) parts.push(`MMLU ${num(mmlu.score)}%`);
        const mt = find(o.condition, "mt-bench", "all", "rating");
        if (mt) parts.push(`MT-Bench ${num(mt.score === null ? null : mt.score / 10, 2)}${mt.unparsed ? ` (${mt.unparsed} unparsed)` : ""}`);
        for (const r of s.scores.filter((x) => x.condition === o.condition && x.benchmark === "safety"))
            parts.push(`${r.category} ${r.metric} ${num(r.score)}%${r.failed ? ` (${r.failed} failed)` : ""}`);
        // Category rows only: the "all" rows repeat them.
        const rows = s.scores.filter((x) => x.condition === o.condition && x.category !== "all");
        const unparsed = rows.reduce((a, x) => a + (x.unparsed ?? 0), 0), failed = rows.reduce((a, x) => a + (x.failed ?? 0), 0);
        if (unparsed + failed > 0) parts.push(`${unparsed} unparsed judgments, ${failed} failed generations`);
        return [o.condition, parts.join(", ")];
    });
    const safety = s.overall[0] ? formatSafetySlots(s.overall[0]) : "none";
    return `${s.kind} of ${s.model} under the ${String(s.protocol.name)} protocol (judge: ${s.judge}), baseline ${s.baseline}\n${formatTable(rows)}\n` +
        `safety slots of the overall score: ${safety}${s.overall[0]?.missing.length ? `; missing: ${s.overall[0].missing.join(", ")}` : ""}\nwrote ${out}/summary.json and the logs in ${out}/logs; draw the charts with: prism report ${out}`;
}
