import fs from "node:fs";
import path from "node:path";
import type {Browser} from "playwright-core";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {writeJsonAtomic} from "../../src/util/atomic-write.js";
import {writeReport} from "../../src/eval/report/write-report.js";
import type {EvalSummary} from "../../src/eval/summary/eval-summary.js";
import {chromiumMissing, inspectReport, launchChromium} from "../helpers/chromium.js";
import {syntheticEvalSummary, syntheticStudySummary} from "../helpers/synthetic-eval.js";
import {tempDir} from "../helpers/tiny-models.js";

const dir = tempDir("report");
if (chromiumMissing) console.warn(`skipping the report's browser test: ${chromiumMissing}`);

describe.skipIf(chromiumMissing)("the HTML report in headless Chromium", () => {
    let browser: Browser;
    beforeAll(async () => {
        browser = await launchChromium();
    });
    afterAll(async () => {
        await browser?.close();
    });

    async function render(name: string, summary: EvalSummary) {
        const out = path.join(dir, name);
        await writeJsonAtomic(path.join(out, "summary.json"), summary);
        const files = await writeReport({source: out});
        return {files, ...(await inspectReport(browser, files.html, path.join(out, "report.png")))};
    }

    it("an eval report renders offline without console errors, and every chart has data", async () => {
        const {files, errors, requests, charts, pageWidth} = await render("eval", syntheticEvalSummary(12));
        expect(errors).toEqual([]);
        expect(requests).toEqual([]);
        expect(pageWidth).toBeLessThanOrEqual(1280);
        const ids = charts.map((c) => c.id);
        for (const id of ["overall", "delta-grid", "delta-0", "delta-1", "delta-2", "tradeoff", "refusal", "compliance", "routing-0", "routing-gain-0"]) expect(ids).toContain(id);
        for (const c of charts) {
            expect(c.data, `chart ${c.id} has no data`).toBeGreaterThan(0);
            expect(c.finite, `chart ${c.id} has a non-numeric value`).toBe(true);
            expect(c.width).toBeGreaterThan(100);
        }
        const html = fs.readFileSync(files.html, "utf8");
        expect(html).not.toMatch(/<script|<link|src=|https?:\/\//);
        const md = fs.readFileSync(files.markdown, "utf8");
        expect(md).toContain("## Overall score");
        expect(md).toMatch(/\| `prism` \| MT-Bench writing \| 12 \|/);
        const json = JSON.parse(fs.readFileSync(files.json, "utf8"));
        expect(json.tradeoff.length).toBe(4);
        expect(fs.statSync(path.join(dir, "eval", "report.png")).size).toBeGreaterThan(10_000);
    });

    it("a study report adds the persona-by-category grid", async () => {
        const {errors, charts} = await render("study", syntheticStudySummary(5));
        expect(errors).toEqual([]);
        const grid = charts.find((c) => c.id === "persona-grid")!;
        // 12 personas × (8 MT-Bench + 4 MMLU + 2 refusal + 1 compliance) categories
        expect(grid.data).toBe(12 * 15);
        for (const c of charts) expect(c.data, `chart ${c.id} has no data`).toBeGreaterThan(0);
        expect(charts.some((c) => c.id?.startsWith("routing"))).toBe(false);
    });
});

describe("report input errors", () => {
    it("names a missing or malformed summary", async () => {
        await expect(writeReport({source: path.join(dir, "nothing")})).rejects.toThrow(/evaluation folder not found/);
        const bad = path.join(dir, "bad");
        fs.mkdirSync(bad, {recursive: true});
        fs.writeFileSync(path.join(bad, "summary.json"), JSON.stringify({format: "prism-eval-summary", version: 2}));
        await expect(writeReport({source: bad})).rejects.toThrow(/summary.json: not a prism evaluation summary/);
        // A summary from before protocols says so, rather than naming a missing field.
        fs.writeFileSync(path.join(bad, "summary.json"), JSON.stringify({format: "prism-eval-summary", version: 1}));
        await expect(writeReport({source: bad})).rejects.toThrow(/summary version 1, this prism reads version 2/);
    });
});
