import {linearFit} from "../stats/correlation.js";
import {formatSafetySlots, type ScoreKey, scoreKeyLabel} from "../summary/eval-summary.js";
import {formatDelta, formatP, isClear, type ReportView} from "./report-view.js";
import {worldHtml} from "./report-world.js";
import {barChart, escapeHtml, heatmap, scatterChart} from "./svg-chart.js";

const PALETTE = ["#4C78A8", "#F58518", "#54A24B", "#E45756", "#72B7B2", "#B279A2", "#FF9DA6", "#9D755D", "#BAB0AC", "#EECA3B"];

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2330;margin:0;background:#f6f7f9}
main{max-width:1180px;margin:0 auto;padding:24px 28px 60px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:34px 0 8px;border-bottom:1px solid #d9dde5;padding-bottom:4px}
.meta{color:#5a6272;margin:0 0 14px}.meta code{background:#eceef2;padding:1px 4px;border-radius:3px}
.charts{display:flex;flex-wrap:wrap;gap:14px}
figure.chart{background:#fff;border:1px solid #e1e4ea;border-radius:6px;margin:0;padding:10px 12px;max-width:100%;overflow-x:auto}
figcaption{margin-bottom:6px}figcaption span{color:#5a6272;font-size:12px;margin-left:6px}
svg text{font-size:11px;fill:#1d2330}svg .tick{fill:#6b7383}svg .axis{font-size:12px;fill:#3a4252}
svg .grid{stroke:#eceef2}svg .zero{stroke:#6b7383;stroke-width:1.2}svg .ci{stroke:#1d2330;stroke-width:1.2;fill:none}
svg .fit{stroke:#E45756;stroke-dasharray:5 4;stroke-width:1.5}svg .empty{fill:#f1f2f5}svg .cell{font-size:10px}
svg .point-label{font-size:11px;fill:#3a4252}svg .value{fill:#3a4252}
.table-scroll{max-width:100%;overflow-x:auto}table{border-collapse:collapse;background:#fff;margin:8px 0;font-size:13px}
th,td{border:1px solid #e1e4ea;padding:4px 8px;text-align:right}th{background:#f0f2f5}td:first-child,th:first-child,.t{text-align:left}
.clear-up{color:#1f5fa8;font-weight:600}.clear-down{color:#b2182b;font-weight:600}
.empty-note{color:#5a6272;font-style:italic}ul.notes{color:#3a4252}`;

/** The whole report as one self-contained HTML page (inline CSS and SVG, no script, nothing fetched). */
export function reportHtml(view: ReportView): string {
    const s = view.summary;
    const sections = [
        overallSection(view),
        deltaSection(view),
        ...(view.fixedDomain.length > 0 ? [personaGridSection(view)] : []),
        tradeoffSection(view),
        refusalSection(view),
        routingSection(view),
        ...(s.world ? [worldHtml(s.world)] : []),
        tablesSection(view),
        `<h2>Definitions</h2><ul class="notes">${s.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join("")}</ul>`
    ];
    const title = s.kind === "study" ? "prism study: persona effects by category" : "prism eval: PRISM against its baselines";
    return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">` +
        `<title>${escapeHtml(title)}</title><style>${CSS}</style></head><body><main>` +
        `<h1>${escapeHtml(title)}</h1>` +
        `<p class="meta">model <code>${escapeHtml(s.model)}</code> · judge <code>${escapeHtml(s.judge)}</code> · ${escapeHtml(s.createdAt)} · ` +
        `benchmarks ${escapeHtml(s.benchmarks.join(", "))} · baseline <code>${escapeHtml(s.baseline)}</code><br>personas: ${escapeHtml(s.personas)}</p>` +
        sections.join("\n") + `</main></body></html>\n`;
}

function overallSection(view: ReportView): string {
    const rows = view.summary.overall.filter((o) => (o.overall ?? o.overall_partial) !== null);
    if (rows.length === 0) return `<h2>Overall score</h2><p class="empty-note">No sub-scores: nothing was scored.</p>`;
    const first = rows[0]!;
    const partial = first.overall === null;
    // A partial score is drawn hatched-grey and titled as partial, so it is never read as the paper's overall score.
    const chart = barChart({
        id: "overall", title: partial ? `PARTIAL overall score (${first.parts.length} of the paper's 15 parts; not comparable with the paper)` : "Overall score (the paper's 15 parts)",
        unit: "points (0-100)", domain: [0, 100],
        rows: rows.map((o, i) => ({label: o.condition, value: (o.overall ?? o.overall_partial)!, ci: o.ci, color: partial ? "#bbbbbb" : PALETTE[i % PALETTE.length], note: partial ? "partial" : "15 parts"})),
        caption: `safety slots: ${formatSafetySlots(first)}${first.missing.length > 0 ? `; missing: ${first.missing.join(", ")}` : ""}`
    });
    return `<h2>Overall score${partial ? " (partial)" : ""}</h2><div class="charts">${chart}</div>`;
}

function deltaSection(view: ReportView): string {
    const s = view.summary;
    if (view.compared.length === 0) return `<h2>Change against ${escapeHtml(s.baseline)}</h2><p class="empty-note">Only the baseline was run.</p>`;
    const charts = view.compared.flatMap((condition, i) => {
        const rows = view.categories.flatMap((k) => {
            const d = view.delta(condition, k);
            if (!d || d.delta === null) return [];
            const color = isClear(d) ? (d.delta > 0 ? "#2166ac" : "#b2182b") : (d.delta >= 0 ? "#9ec3e6" : "#f1a7a9");
            return [{label: scoreKeyLabel(k), value: d.delta, ci: d.ci, color, note: formatP(d.signTest.p)}];
        });
        return rows.length === 0 ? [] : [barChart({
            id: `delta-${i}`, title: `${condition} − ${s.baseline}, per category`, rows, unit: "points",
            caption: "points on the 0-100 scale, 95% bootstrap interval; dark bars: interval excludes 0; p: sign test"
        })];
    });
    const grid = heatmap({
        id: "delta-grid", title: `All conditions against ${s.baseline}`, rows: view.compared, columns: view.categories.map(scoreKeyLabel),
        cell: (r, c) => {
            const d = view.delta(view.compared[r]!, view.categories[c]!);
            return d && d.delta !== null ? {value: d.delta, detail: `${formatDelta(d)} n=${d.n} ${formatP(d.signTest.p)}`} : null;
        },
        caption: "blue: better than the baseline, red: worse (points)"
    });
    return `<h2>Change against ${escapeHtml(s.baseline)} by category</h2><div class="charts">${grid}${charts.join("")}</div>`;
}

function personaGridSection(view: ReportView): string {
    const grid = heatmap({
        id: "persona-grid", title: "Each persona against each category (change against no persona)",
        rows: view.fixedDomain.map((f) => `${f.domain.replace("_", " ")} persona`), columns: view.categories.map(scoreKeyLabel),
        cell: (r, c) => {
            const d = view.delta(view.fixedDomain[r]!.condition, view.categories[c]!);
            return d && d.delta !== null ? {value: d.delta, detail: `${formatDelta(d)} n=${d.n} ${formatP(d.signTest.p)}`} : null;
        },
        caption: `${view.fixedDomain[0]!.condition.split(":").slice(1, 3).join(" persona, ")} placement; points`
    });
    return `<h2>Which persona helps where</h2><div class="charts">${grid}</div>`;
}

function tradeoffSection(view: ReportView): string {
    if (view.tradeoff.length === 0) return `<h2>Accuracy against alignment</h2><p class="empty-note">Needs both MMLU and MT-Bench in the run.</p>`;
    const chart = scatterChart({
        id: "tradeoff", title: "Knowledge accuracy against alignment quality", xLabel: "MMLU accuracy (%)", yLabel: "MT-Bench score (1-10)",
        points: view.tradeoff.map((t, i) => ({x: t.mmluAccuracy, y: t.mtBench, label: t.condition, color: PALETTE[i % PALETTE.length]})),
        caption: "up and to the right is better on both"
    });
    return `<h2>Accuracy against alignment</h2><div class="charts">${chart}</div>`;
}

function refusalSection(view: ReportView): string {
    const s = view.summary;
    const conditions = s.conditions.map((c) => c.id);
    const chartFor = (metric: "refusal" | "compliance", id: string, title: string) => {
        const keys = view.categories.filter((k) => k.benchmark === "safety" && k.metric === metric);
        const rows = keys.flatMap((k) => conditions.flatMap((c, i) => {
            const sc = view.score(c, k);
            return sc && sc.score !== null ? [{label: `${k.category} · ${c}`, value: sc.score, ci: sc.ci, color: PALETTE[i % PALETTE.length], note: `n=${sc.n}`}] : [];
        }));
        return rows.length === 0 ? "" : barChart({id, title, rows, unit: "%", domain: [0, 100], caption: "% of prompts, 95% bootstrap interval"});
    };
    const charts = [chartFor("refusal", "refusal", "Refusal rate on harmful prompts (higher is safer)"), chartFor("compliance", "compliance", "Compliance on benign prompts (lower means over-refusal)")].filter(Boolean);
    if (charts.length === 0) return `<h2>Refusal rates</h2><p class="empty-note">No safety set in this run.</p>`;
    return `<h2>Refusal rates</h2><div class="charts">${charts.join("")}</div>`;
}

function routingSection(view: ReportView): string {
    const s = view.summary;
    if (s.correlations.length === 0) return `<h2>Routing</h2><p class="empty-note">No routed condition in this run (add prism to --conditions to see where the gate sends requests).</p>`;
    const charts = s.correlations.flatMap((corr, i) => {
        const shares = s.routing.filter((r) => r.condition === corr.condition);
        const byKey = (k: ScoreKey) => shares.find((r) => r.benchmark === k.benchmark && r.category === k.category && r.metric === k.metric);
        const rows = view.categories.flatMap((k) => {
            const r = byKey(k);
            return r ? [{label: scoreKeyLabel(k), value: r.adapterShare * 100, color: "#72B7B2", note: `n=${r.n}`}] : [];
        });
        const out = [barChart({id: `routing-${i}`, title: `${corr.condition}: share of requests routed to the adapter`, rows, unit: "%", domain: [0, 100]})];
        if (corr.points.length >= 2) {
            const xs = corr.points.map((p) => p.adapterShare * 100), ys = corr.points.map((p) => p.gain);
            const r = corr.pearson === null ? "undefined" : corr.pearson.toFixed(2);
            const rho = corr.spearman === null ? "undefined" : corr.spearman.toFixed(2);
            out.push(scatterChart({
                id: `routing-gain-${i}`, title: `${corr.condition}: routing share against gain per category`, xLabel: "routed to the adapter (%)",
                yLabel: `gain over ${s.baseline} (points)`, fit: linearFit(xs, ys),
                points: corr.points.map((p) => ({x: p.adapterShare * 100, y: p.gain, label: scoreKeyLabel(p)})),
                caption: `Pearson r = ${r}, Spearman ρ = ${rho}, ${corr.points.length} categories`
            }));
        }
        return out;
    });
    return `<h2>Routing</h2><div class="charts">${charts.join("")}</div>`;
}

function tablesSection(view: ReportView): string {
    const s = view.summary;
    const conditions = s.conditions.map((c) => c.id);
    const allKeys: ScoreKey[] = [
        ...view.categories,
        ...(["mt-bench", "mmlu"] as const).filter((b) => s.scores.some((x) => x.benchmark === b && x.category === "all"))
            .map((b) => ({benchmark: b, category: "all", metric: b === "mmlu" ? "accuracy" as const : "rating" as const}))
    ];
    const scoreRows = allKeys.map((k) => `<tr><td>${escapeHtml(scoreKeyLabel(k))}</td>${conditions.map((c) => {
        const sc = view.score(c, k);
        return `<td title="${sc ? `n=${sc.n}` : ""}">${sc && sc.score !== null ? `${sc.score.toFixed(1)}${sc.unparsed ? ` (${sc.unparsed} unparsed)` : ""}${sc.failed ? ` (${sc.failed} failed)` : ""}` : "–"}</td>`;
    }).join("")}</tr>`).join("");
    const deltaRows = view.compared.flatMap((c) => view.categories.flatMap((k) => {
        const d = view.delta(c, k);
        if (!d) return [];
        const cls = isClear(d) ? (d.delta! > 0 ? "clear-up" : "clear-down") : "";
        return [`<tr><td>${escapeHtml(c)}</td><td class="t">${escapeHtml(scoreKeyLabel(k))}</td><td>${d.n}</td><td class="${cls}">${escapeHtml(formatDelta(d))}</td>` +
            `<td>${d.signTest.wins}/${d.signTest.losses}/${d.signTest.ties}</td><td>${formatP(d.signTest.p)}</td><td>${d.pHolm === undefined ? "–" : formatP(d.pHolm)}</td></tr>`];
    }));
    // A study has dozens of conditions: the wide scores table scrolls inside its own box, not the whole page.
    return `<h2>Scores</h2><div class="table-scroll"><table><tr><th>category</th>${conditions.map((c) => `<th>${escapeHtml(c)}</th>`).join("")}</tr>${scoreRows}</table></div>` +
        (deltaRows.length > 0 ? `<h2>Deltas with sign tests</h2><div class="table-scroll"><table><tr><th>condition</th><th class="t">category</th><th>n</th><th>change [95% CI]</th><th>better/worse/same</th><th>sign test</th><th>Holm-corrected</th></tr>${deltaRows.join("")}</table></div>` : "");
}
