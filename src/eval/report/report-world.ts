import {linearFit} from "../stats/correlation.js";
import type {WorldSummary} from "../summary/eval-summary.js";
import {barChart, escapeHtml, scatterChart} from "./svg-chart.js";

const PALETTE = ["#4C78A8", "#F58518", "#54A24B", "#E45756", "#72B7B2", "#B279A2", "#FF9DA6", "#9D755D", "#BAB0AC", "#EECA3B"];
const f = (x: number | null, digits = 1) => (x === null ? "–" : x.toFixed(digits));
const signed = (x: number | null) => (x === null ? "–" : `${x > 0 ? "+" : ""}${x.toFixed(1)}`);
const interval = (ci: {low: number | null, high: number | null}) => `[${signed(ci.low)}, ${signed(ci.high)}]`;
const excludesZero = (ci: {low: number | null, high: number | null}) => ci.low !== null && ci.high !== null && (ci.low > 0 || ci.high < 0);

function describe(w: WorldSummary): string {
    return `${w.tasks.n} held-out tasks (seed ${w.tasks.seed}, framings never used in training), scored by code; the overall is the mean over ` +
        `${w.overall[0]?.domains ?? 0} domains. Persona texts: ${w.personas}. Persona gain: \`${w.persona ?? "no persona condition"}\` − \`base\` on the same tasks.`;
}

const correlationLine = (w: WorldSummary) =>
    `Routing share of \`prism\` against persona gain over ${w.correlation.domains} domains: Pearson r = ${f(w.correlation.pearson, 2)}, Spearman ρ = ${f(w.correlation.spearman, 2)} (the paper: r = 0.65, ρ = 0.75).`;

/** The world benchmark as Markdown: overall per condition, prism's differences, and each domain's gain beside its routing. */
export function worldMarkdown(w: WorldSummary): string[] {
    const row = (cells: readonly (string | number)[]) => `| ${cells.join(" | ")} |`;
    const table = (head: readonly string[], rows: readonly (readonly (string | number)[])[]) => [row(head), row(head.map(() => "---")), ...rows.map(row)].join("\n");
    return [
        "## Planted world", "", describe(w), "",
        table(["condition", "world overall [95% CI]"], w.overall.map((o) => [`\`${o.condition}\``, `${f(o.score)} [${f(o.ci.low)}, ${f(o.ci.high)}]`])), "",
        ...(w.differences.length > 0 ? [table(["difference", "points [95% CI]", "paired tasks"], w.differences.map((d) => [`\`prism\` − \`${d.baseline}\``, `${signed(d.delta)} ${interval(d.ci)}${excludesZero(d.ci) ? " *" : ""}`, d.n])), "",
            ...(w.differences.some((d) => excludesZero(d.ci)) ? ["\\* the interval excludes 0.", ""] : [])] : []),
        table(["domain", "planted", "base", "persona", "persona gain", "prism routed to adapter"], w.domains.map((d) => [
            d.domain, d.planted, f(d.base), f(d.persona), signed(d.personaGain), d.prismShare === null ? "–" : `${(d.prismShare * 100).toFixed(0)}%`
        ])), "", correlationLine(w), ""
    ];
}

/** The world benchmark as an HTML section with charts. */
export function worldHtml(w: WorldSummary): string {
    const charts = [barChart({
        id: "world-overall", title: "Planted world: overall (mean over domains)", unit: "points (0-100)", domain: [0, 100],
        rows: w.overall.flatMap((o, i) => (o.score === null ? [] : [{label: o.condition, value: o.score, ci: o.ci, color: PALETTE[i % PALETTE.length], note: `${o.domains} domains`}])),
        caption: "95% bootstrap interval, tasks resampled within each domain"
    })];
    if (w.differences.length > 0)
        charts.push(barChart({
            id: "world-differences", title: "prism against each condition on the world's overall", unit: "points",
            rows: w.differences.flatMap((d) => (d.delta === null ? [] : [{label: `prism − ${d.baseline}`, value: d.delta, ci: d.ci, color: excludesZero(d.ci) ? (d.delta > 0 ? "#2166ac" : "#b2182b") : "#bbbbbb", note: `n=${d.n}`}])),
            caption: "paired per task; dark bars: the 95% interval excludes 0"
        }));
    const points = w.domains.filter((d) => d.prismShare !== null && d.personaGain !== null);
    if (points.length >= 2) {
        const xs = points.map((d) => d.prismShare! * 100), ys = points.map((d) => d.personaGain!);
        charts.push(scatterChart({
            id: "world-routing", title: "prism's routing share against the persona gain, per domain", xLabel: "routed to the adapter (%)", yLabel: "persona gain (points)",
            fit: linearFit(xs, ys), points: points.map((d) => ({x: d.prismShare! * 100, y: d.personaGain!, label: d.domain})),
            caption: `Pearson r = ${f(w.correlation.pearson, 2)}, Spearman ρ = ${f(w.correlation.spearman, 2)} over ${w.correlation.domains} domains (the paper: 0.65, 0.75)`
        }));
    }
    const rows = w.domains.map((d) => `<tr><td>${escapeHtml(d.domain)}</td><td class="t">${d.planted}</td><td>${f(d.base)}</td><td>${f(d.persona)}</td><td>${signed(d.personaGain)}</td>` +
        `<td>${d.prismShare === null ? "–" : `${(d.prismShare * 100).toFixed(0)}%`}</td></tr>`).join("");
    const diffs = w.differences.map((d) => `<tr><td>prism − ${escapeHtml(d.baseline)}</td><td class="${excludesZero(d.ci) ? (d.delta! > 0 ? "clear-up" : "clear-down") : ""}">${signed(d.delta)} ${interval(d.ci)}</td><td>${d.n}</td></tr>`).join("");
    return `<h2>Planted world</h2><p class="meta">${escapeHtml(describe(w).replace(/`/g, ""))}</p><div class="charts">${charts.join("")}</div>` +
        (diffs ? `<table><tr><th>difference</th><th>points [95% CI]</th><th>paired tasks</th></tr>${diffs}</table>` : "") +
        `<table><tr><th>domain</th><th class="t">planted</th><th>base</th><th>persona</th><th>persona gain</th><th>prism routed to adapter</th></tr>${rows}</table>` +
        `<p>${escapeHtml(correlationLine(w).replace(/`/g, ""))}</p>`;
}
