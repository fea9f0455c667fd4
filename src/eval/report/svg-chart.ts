/**
 * Small static SVG charts for the report: drawn on the server as strings, so the page needs no script and no
 * network. Every data mark has `class="datum"` and a `data-value`, and a `<title>` that the browser shows on hover;
 * the browser test counts the marks to check that each chart has data.
 */

export function escapeHtml(text: string): string {
    return text.replace(/[&<>"']/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;"})[c]!);
}

const fmt = (x: number, digits = 1) => (Math.abs(x) < 1e-9 ? 0 : x).toFixed(digits);

export type BarRow = {label: string, value: number, ci?: {low: number | null, high: number | null}, color?: string, note?: string};

export type BarChartOptions = {
    id: string,
    title: string,
    rows: readonly BarRow[],
    /** Axis unit shown in the caption, e.g. "points". */
    unit: string,
    /** The value range; defaults to fit the data and the CIs (always including 0). */
    domain?: [number, number],
    caption?: string
};

/** Horizontal bars from zero with optional confidence whiskers: one row per category. */
export function barChart(o: BarChartOptions): string {
    const labelW = labelWidth(o.rows.map((r) => r.label), 120), plotW = 290, rowH = 22, top = 26, bottom = 30;
    const h = top + o.rows.length * rowH + bottom;
    const extent = o.rows.flatMap((r) => [r.value, r.ci?.low ?? r.value, r.ci?.high ?? r.value, 0]).filter(Number.isFinite);
    let [lo, hi] = o.domain ?? [Math.min(...extent), Math.max(...extent)];
    if (hi - lo < 1e-9) [lo, hi] = [lo - 1, hi + 1];
    const pad = (hi - lo) * 0.05;
    if (!o.domain) [lo, hi] = [lo - pad, hi + pad];
    const x = (v: number) => labelW + ((v - lo) / (hi - lo)) * plotW;
    const ticks = niceTicks(lo, hi, 5);
    const parts: string[] = [];
    for (const t of ticks)
        parts.push(`<line x1="${x(t)}" x2="${x(t)}" y1="${top - 4}" y2="${h - bottom}" class="grid"/><text x="${x(t)}" y="${h - bottom + 14}" class="tick" text-anchor="middle">${fmt(t, niceDigits(ticks))}</text>`);
    if (lo < 0 && hi > 0) parts.push(`<line x1="${x(0)}" x2="${x(0)}" y1="${top - 6}" y2="${h - bottom}" class="zero"/>`);
    o.rows.forEach((r, i) => {
        const y = top + i * rowH;
        const x0 = x(Math.max(lo, Math.min(0, hi))), x1 = x(r.value);
        const ciText = r.ci && r.ci.low !== null && r.ci.high !== null ? ` [${fmt(r.ci.low)}, ${fmt(r.ci.high)}]` : "";
        parts.push(`<text x="${labelW - 8}" y="${y + rowH / 2 + 4}" class="label" text-anchor="end">${escapeHtml(r.label)}</text>`);
        parts.push(`<rect class="datum" data-value="${r.value}" x="${Math.min(x0, x1)}" y="${y + 4}" width="${Math.max(1, Math.abs(x1 - x0))}" height="${rowH - 8}" fill="${r.color ?? "#4C78A8"}">` +
            `<title>${escapeHtml(`${r.label}: ${fmt(r.value, 2)} ${o.unit}${ciText}${r.note ? ` (${r.note})` : ""}`)}</title></rect>`);
        if (r.ci && r.ci.low !== null && r.ci.high !== null) {
            const cy = y + rowH / 2;
            parts.push(`<path class="ci" d="M${x(r.ci.low)},${cy}H${x(r.ci.high)}M${x(r.ci.low)},${cy - 4}v8M${x(r.ci.high)},${cy - 4}v8"/>`);
        }
        parts.push(`<text x="${labelW + plotW + 6}" y="${y + rowH / 2 + 4}" class="value">${fmt(r.value)}${r.note ? ` ${escapeHtml(r.note)}` : ""}</text>`);
    });
    return figure(o.id, o.title, `<svg viewBox="0 0 ${labelW + plotW + 90} ${h}" width="${labelW + plotW + 90}" height="${h}" role="img">${parts.join("")}</svg>`, o.caption ?? `unit: ${o.unit}`);
}

export type ScatterPoint = {x: number, y: number, label: string, color?: string};

export type ScatterOptions = {
    id: string,
    title: string,
    xLabel: string,
    yLabel: string,
    points: readonly ScatterPoint[],
    /** A line to draw over the points (least squares). */
    fit?: {slope: number, intercept: number} | null,
    caption?: string
};

/** Labelled points on two axes, with an optional trend line. */
export function scatterChart(o: ScatterOptions): string {
    const w = 620, h = 380, left = 60, right = 130, top = 20, bottom = 50;
    const [x0, x1] = paddedExtent(o.points.map((p) => p.x));
    const [y0, y1] = paddedExtent(o.points.map((p) => p.y));
    const sx = (v: number) => left + ((v - x0) / (x1 - x0)) * (w - left - right);
    const sy = (v: number) => h - bottom - ((v - y0) / (y1 - y0)) * (h - top - bottom);
    const parts: string[] = [];
    const xt = niceTicks(x0, x1, 5), yt = niceTicks(y0, y1, 5);
    for (const t of xt) parts.push(`<line x1="${sx(t)}" x2="${sx(t)}" y1="${top}" y2="${h - bottom}" class="grid"/><text x="${sx(t)}" y="${h - bottom + 16}" class="tick" text-anchor="middle">${fmt(t, niceDigits(xt))}</text>`);
    for (const t of yt) parts.push(`<line x1="${left}" x2="${w - right}" y1="${sy(t)}" y2="${sy(t)}" class="grid"/><text x="${left - 6}" y="${sy(t) + 4}" class="tick" text-anchor="end">${fmt(t, niceDigits(yt))}</text>`);
    parts.push(`<text x="${(left + w - right) / 2}" y="${h - 12}" class="axis" text-anchor="middle">${escapeHtml(o.xLabel)}</text>`);
    parts.push(`<text transform="translate(16 ${(top + h - bottom) / 2}) rotate(-90)" class="axis" text-anchor="middle">${escapeHtml(o.yLabel)}</text>`);
    if (o.fit) {
        const clampY = (v: number) => Math.max(y0, Math.min(y1, v));
        parts.push(`<line class="fit" x1="${sx(x0)}" y1="${sy(clampY(o.fit.slope * x0 + o.fit.intercept))}" x2="${sx(x1)}" y2="${sy(clampY(o.fit.slope * x1 + o.fit.intercept))}"/>`);
    }
    const placed: {x: number, y: number, w: number}[] = [];
    for (const p of o.points) {
        parts.push(`<circle class="datum" data-value="${p.y}" cx="${sx(p.x)}" cy="${sy(p.y)}" r="5" fill="${p.color ?? "#4C78A8"}"><title>${escapeHtml(`${p.label}: ${o.xLabel} ${fmt(p.x, 2)}, ${o.yLabel} ${fmt(p.y, 2)}`)}</title></circle>`);
        // A label goes at the first nearby spot that overlaps no earlier label; crowded points keep only their tooltip.
        const lw = p.label.length * 6 + 4;
        const spot = [-7, 15, -19, 27].map((dy) => ({x: sx(p.x) + 7, y: sy(p.y) + dy, w: lw}))
            .find((c) => placed.every((q) => c.x > q.x + q.w || q.x > c.x + c.w || Math.abs(c.y - q.y) >= 12));
        if (spot) {
            placed.push(spot);
            parts.push(`<text x="${spot.x}" y="${spot.y}" class="point-label">${escapeHtml(p.label)}</text>`);
        }
    }
    return figure(o.id, o.title, `<svg viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img">${parts.join("")}</svg>`, o.caption);
}

export type HeatmapOptions = {
    id: string,
    title: string,
    rows: readonly string[],
    columns: readonly string[],
    /** The value of a cell (points), or null when there is none. */
    cell(row: number, column: number): {value: number, detail?: string} | null,
    caption?: string
};

/** A grid coloured by value on a diverging scale (blue above zero, red below), each cell labelled with its value. */
export function heatmap(o: HeatmapOptions): string {
    const labelW = labelWidth(o.rows, 160), cellW = 58, cellH = 24, headH = 110;
    // Room on the right for the last column's slanted label.
    const w = labelW + o.columns.length * cellW + 90, h = headH + o.rows.length * cellH + 10;
    const values: number[] = [];
    o.rows.forEach((_, r) => o.columns.forEach((_, c) => {
        const v = o.cell(r, c);
        if (v) values.push(Math.abs(v.value));
    }));
    const scale = Math.max(1e-9, ...values);
    const parts: string[] = [];
    o.columns.forEach((c, j) => parts.push(`<text transform="translate(${labelW + j * cellW + cellW / 2} ${headH - 6}) rotate(-45)" class="label">${escapeHtml(c)}</text>`));
    o.rows.forEach((row, i) => {
        const y = headH + i * cellH;
        parts.push(`<text x="${labelW - 8}" y="${y + cellH / 2 + 4}" class="label" text-anchor="end">${escapeHtml(row)}</text>`);
        o.columns.forEach((col, j) => {
            const v = o.cell(i, j);
            const x = labelW + j * cellW;
            if (!v) {
                parts.push(`<rect x="${x}" y="${y}" width="${cellW - 2}" height="${cellH - 2}" class="empty"/>`);
                return;
            }
            parts.push(`<rect class="datum" data-value="${v.value}" x="${x}" y="${y}" width="${cellW - 2}" height="${cellH - 2}" fill="${divergingColor(v.value / scale)}">` +
                `<title>${escapeHtml(`${row} × ${col}: ${fmt(v.value, 2)}${v.detail ? ` ${v.detail}` : ""}`)}</title></rect>`);
            parts.push(`<text x="${x + cellW / 2 - 1}" y="${y + cellH / 2 + 4}" class="cell" text-anchor="middle">${fmt(v.value)}</text>`);
        });
    });
    return figure(o.id, o.title, `<svg viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img">${parts.join("")}</svg>`, o.caption);
}

/** Blue for positive, red for negative, white at zero; `t` in [-1, 1]. */
export function divergingColor(t: number): string {
    const a = Math.max(-1, Math.min(1, t));
    const [r, g, b] = a >= 0 ? [33, 102, 172] : [178, 24, 43];
    const mix = (c: number) => Math.round(255 + (c - 255) * Math.abs(a) * 0.85);
    return `rgb(${mix(r)},${mix(g)},${mix(b)})`;
}

/** Room for the longest label at the 11px font (about 6.2px a character), and at least `min`. */
function labelWidth(labels: readonly string[], min: number): number {
    return Math.max(min, Math.ceil(Math.max(0, ...labels.map((l) => l.length)) * 6.2) + 16);
}

function figure(id: string, title: string, svg: string, caption?: string): string {
    return `<figure class="chart" id="${escapeHtml(id)}" data-chart="${escapeHtml(id)}"><figcaption><strong>${escapeHtml(title)}</strong>${caption ? ` <span>${escapeHtml(caption)}</span>` : ""}</figcaption>${svg}</figure>`;
}

function paddedExtent(values: readonly number[]): [number, number] {
    let lo = Math.min(...values), hi = Math.max(...values);
    if (!Number.isFinite(lo)) [lo, hi] = [0, 1];
    if (hi - lo < 1e-9) [lo, hi] = [lo - 1, hi + 1];
    const pad = (hi - lo) * 0.12;
    return [lo - pad, hi + pad];
}

/** About `count` round tick values covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count: number): number[] {
    const raw = (hi - lo) / Math.max(1, count);
    const mag = 10 ** Math.floor(Math.log10(raw));
    const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
    const ticks: number[] = [];
    for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push(Math.round(t / step) * step);
    return ticks;
}

function niceDigits(ticks: readonly number[]): number {
    const step = ticks.length > 1 ? Math.abs(ticks[1]! - ticks[0]!) : 1;
    return step >= 1 ? 0 : Math.min(3, Math.ceil(-Math.log10(step)));
}
