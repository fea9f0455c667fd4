import {formatOverall, formatSafetySlots, scoreKeyLabel} from "../summary/eval-summary.js";
import {formatDelta, formatP, type ReportView} from "./report-view.js";
import {worldMarkdown} from "./report-world.js";

/** The Markdown summary: the same numbers as the HTML page, as tables. */
export function reportMarkdown(view: ReportView): string {
    const s = view.summary;
    const conditions = s.conditions.map((c) => c.id);
    const row = (cells: readonly (string | number)[]) => `| ${cells.join(" | ")} |`;
    const table = (head: readonly string[], rows: readonly (readonly (string | number)[])[]) =>
        [row(head), row(head.map(() => "---")), ...rows.map(row)].join("\n");
    const lines: string[] = [
        `# prism ${s.kind}: ${s.model}`, "",
        `Judge: ${s.judge}. Baseline: \`${s.baseline}\`. Benchmarks: ${s.benchmarks.join(", ")}. Created ${s.createdAt}.`, "",
        `Personas: ${s.personas}.`, "",
        "## Conditions", "", table(["condition", "what it is"], s.conditions.map((c) => [`\`${c.id}\``, c.description])), "",
        "## Overall score", "",
        `Protocol: \`${String(s.protocol.name)}\`. The overall score is the paper's mean of 15 parts; with a part missing it is null and the mean of the parts present is shown as partial.`, "",
        table(["condition", "overall", "parts", "safety slots", "missing"], s.overall.map((o) => [
            `\`${o.condition}\``, formatOverall(o), `${o.parts.length}/15`, formatSafetySlots(o), o.missing.join(", ") || "none"
        ])), "",
        "## Scores (0-100)", "",
        table(["category", ...conditions.map((c) => `\`${c}\``)], view.categories.map((k) => [scoreKeyLabel(k), ...conditions.map((c) => {
            const sc = view.score(c, k);
            return sc && sc.score !== null ? `${sc.score.toFixed(1)} (n=${sc.n})` : "–";
        })])), ""
    ];
    if (view.compared.length + view.fixedDomain.length > 0) {
        lines.push(`## Change against \`${s.baseline}\``, "", "Points on the 0-100 scale with the 95% bootstrap interval; sign test over paired items (better/worse/same), and its p-value Holm-corrected over each condition's categories.", "");
        const rows = [...view.compared, ...view.fixedDomain.map((f) => f.condition)].flatMap((c) => view.categories.flatMap((k) => {
            const d = view.delta(c, k);
            return d ? [[`\`${c}\``, scoreKeyLabel(k), d.n, formatDelta(d), `${d.signTest.wins}/${d.signTest.losses}/${d.signTest.ties}`, formatP(d.signTest.p), d.pHolm === undefined ? "–" : formatP(d.pHolm)]] : [];
        }));
        lines.push(table(["condition", "category", "n", "change [95% CI]", "better/worse/same", "sign test", "Holm"], rows), "");
    }
    if (view.tradeoff.length > 0)
        lines.push("## Accuracy against alignment", "", table(["condition", "MMLU accuracy (%)", "MT-Bench (1-10)"],
            view.tradeoff.map((t) => [`\`${t.condition}\``, t.mmluAccuracy.toFixed(1), t.mtBench.toFixed(2)])), "");
    if (s.correlations.length > 0) {
        lines.push("## Routing", "");
        for (const corr of s.correlations) {
            lines.push(`\`${corr.condition}\`: Pearson r = ${corr.pearson?.toFixed(2) ?? "undefined"}, Spearman ρ = ${corr.spearman?.toFixed(2) ?? "undefined"} between the share routed to the adapter and the gain, over ${corr.points.length} categories.`, "");
            lines.push(table(["category", "routed to adapter", "n"], s.routing.filter((r) => r.condition === corr.condition).map((r) => [scoreKeyLabel(r), `${(r.adapterShare * 100).toFixed(0)}%`, r.n])), "");
        }
    }
    if (s.world) lines.push(...worldMarkdown(s.world));
    lines.push("## Definitions", "", ...s.notes.map((n) => `- ${n}`), "");
    return lines.join("\n");
}
