import {spawn} from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import type {Browser} from "playwright-core";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {LlamaEngine} from "../../src/engine/llama-engine.js";
import {MmluRecord, MtBenchRecord} from "../../src/eval/runners/eval-records.js";
import {OpenAIServer} from "../../src/serve/openai-server.js";
import {ResultLog} from "../../src/eval/runners/result-log.js";
import {EvalSummary} from "../../src/eval/summary/eval-summary.js";
import {chromiumMissing, inspectReport, launchChromium} from "../helpers/chromium.js";
import {writeEvalFixtures} from "../helpers/eval-fixtures.js";
import {CLI_PATH, runCli} from "../helpers/run-cli.js";
import {tempDir, tinyModel} from "../helpers/tiny-models.js";

// The built CLI (npm test builds it first) on a tiny model: interruption, resume, bad input, and the study → report path.
const dir = tempDir("cli-eval");
const data = writeEvalFixtures(path.join(dir, "data"), {mmluPerSubject: 75, mtBenchPerCategory: 3, jbbPerLabel: 10});
let model: string;
beforeAll(async () => {
    model = await tinyModel();
});
afterAll(() => fs.rmSync(dir, {recursive: true, force: true}));

const lineCount = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, "utf8").split("\n").filter(Boolean).length : 0);

/** Starts `prism eval` over 300 MMLU questions, one at a time, and stops it with `signal` once `after` are logged. */
function interruptEval(out: string, signal: NodeJS.Signals, after: number): Promise<{code: number | null, signal: NodeJS.Signals | null, linesAtStop: number}> {
    const log = path.join(out, "logs", "mmlu", "base.jsonl");
    const child = spawn(process.execPath, [CLI_PATH, "eval", "--model", model, "--bench", `mmlu=${path.join(data, "mmlu")}`, "--conditions", "base", "--score-batch-size", "1", "--out", out], {stdio: "ignore"});
    return new Promise((resolve) => {
        let linesAtStop = -1;
        const timer = setInterval(() => {
            if (linesAtStop < 0 && lineCount(log) >= after) {
                linesAtStop = lineCount(log);
                child.kill(signal);
            }
        }, 5);
        child.on("exit", (code, sig) => {
            clearInterval(timer);
            resolve({code, signal: sig, linesAtStop});
        });
    });
}

describe("prism eval on the command line", () => {
    it("resumes after kill -9 mid-benchmark without losing or repeating a finished item", async () => {
        const out = path.join(dir, "killed");
        const killed = await interruptEval(out, "SIGKILL", 20);
        expect(killed.signal).toBe("SIGKILL");
        const log = path.join(out, "logs", "mmlu", "base.jsonl");
        const before = fs.readFileSync(log, "utf8").split("\n").filter((l) => l.trim() !== "").slice(0, killed.linesAtStop);
        expect(killed.linesAtStop).toBeGreaterThanOrEqual(20);
        expect(killed.linesAtStop).toBeLessThan(300);
        const resumed = await runCli(["eval", "--model", model, "--bench", `mmlu=${path.join(data, "mmlu")}`, "--conditions", "base", "--score-batch-size", "1", "--out", out, "--json"]);
        expect(resumed.code).toBe(0);
        const records = await ResultLog.read(log, MmluRecord);
        expect(records.length).toBe(300);
        const lines = fs.readFileSync(log, "utf8").split("\n").filter(Boolean);
        expect(lines.length).toBe(300);
        expect(new Set(records.map((r) => r.id)).size).toBe(300);
        expect(lines.slice(0, before.length - 1)).toEqual(before.slice(0, -1)); // the last line may have been torn by the kill
        const summary = EvalSummary.parse(JSON.parse(resumed.stdout));
        expect(summary.scores.find((s) => s.category === "all")!.n).toBe(300);
    });

    it("stops on Ctrl-C with exit code 130 after saving, and the same command finishes the rest", async () => {
        const out = path.join(dir, "interrupted");
        const stopped = await interruptEval(out, "SIGINT", 10);
        expect(stopped.code).toBe(130);
        const log = path.join(out, "logs", "mmlu", "base.jsonl");
        const saved = lineCount(log);
        expect(saved).toBeGreaterThanOrEqual(10);
        expect(saved).toBeLessThan(300);
        const resumed = await runCli(["eval", "--model", model, "--bench", `mmlu=${path.join(data, "mmlu")}`, "--conditions", "base", "--score-batch-size", "1", "--out", out]);
        expect(resumed.code).toBe(0);
        expect(resumed.stdout).toContain("MMLU");
        expect(lineCount(log)).toBe(300);
    });

    it("refuses to resume into a folder made with other settings", async () => {
        const out = path.join(dir, "settings");
        const args = ["eval", "--model", model, "--bench", `mmlu=${path.join(data, "mmlu")}`, "--conditions", "base", "--limit", "4", "--out", out];
        expect((await runCli(args)).code).toBe(0);
        const r = await runCli([...args, "--safety-max-tokens", "5"]);
        expect(r.code).toBe(2);
        expect(r.stderr).toContain("different settings (safetyMaxTokens: 256 → 5)");
        expect(r.stderr).toContain("choose a new --out folder");
    });

    it("grades MT-Bench with a judge served over HTTP (--judge-url), recording what that judge said", async () => {
        const judgeEngine = await LlamaEngine.load({model: await tinyModel({seed: 2}), gpu: false, contextSize: 2048, parallel: 4});
        const server = await OpenAIServer.start({engine: judgeEngine, modelName: "tiny-judge", port: 0});
        try {
            const out = path.join(dir, "served-judge");
            const r = await runCli(["eval", "--model", model, "--bench", `mt-bench=${path.join(data, "mt_bench")}`, "--conditions", "base", "--limit", "3",
                "--max-tokens", "6", "--judge-max-tokens", "6", "--judge-url", `${server.url}/v1`, "--judge-model", "tiny-judge", "--out", out, "--json"]);
            expect(r.code, r.stderr).toBe(0);
            expect(EvalSummary.parse(JSON.parse(r.stdout)).judge).toBe("tiny-judge");
            const records = await ResultLog.read(path.join(out, "logs", "mt-bench", "base.jsonl"), MtBenchRecord);
            expect(records.length).toBe(3);
            // The served judge is a different tiny model, so its outputs are its own, not the model under test's.
            const direct = await judgeEngine.generate(records.map((rec) => ({messages: rec.judgments[0]!.messages, adapter: null, temperature: 0, maxTokens: 6})));
            // (Batches differ between the server and this call, and a float near-tie may flip, so most, not all, must match.)
            expect(records.filter((rec, i) => rec.judgments[0]!.output === direct[i]!.text).length).toBeGreaterThanOrEqual(2);
        } finally {
            await server.close();
            await judgeEngine.dispose();
        }
    });

    it("bad input gets a clear message and the right exit code", async () => {
        const bad = path.join(dir, "bad-mmlu", "test");
        fs.mkdirSync(bad, {recursive: true});
        fs.writeFileSync(path.join(bad, "anatomy_test.csv"), "question,choice0,choice1,choice2,choice3,answer\nq,a,b,c,d,0\nq,a,b,c,d,E\n");
        const cases: [string[], number, RegExp][] = [
            [["--conditions", "persona:huge"], 2, /bad condition "persona:huge": persona length "huge"/],
            [["--bench", "mmlu=" + path.dirname(bad)], 3, /anatomy_test\.csv:3: answer "E" is not an index 0-3/],
            [["--bench", "nosuchbench"], 2, /unknown benchmark "nosuchbench"/],
            [["--bench", "mmlu=" + path.join(dir, "missing")], 3, /MMLU folder not found/],
            [["--conditions", "adapter"], 2, /needs exactly one adapter/],
            [["--personas", path.join(dir, "missing.json")], 3, /personas file not found/]
        ];
        for (const [extra, code, message] of cases) {
            const r = await runCli(["eval", "--model", model, "--bench", `mmlu=${path.join(data, "mmlu")}`, "--out", path.join(dir, "bad-out"), ...extra]);
            expect(r.code, `${extra.join(" ")}: ${r.stderr}`).toBe(code);
            expect(r.stderr).toMatch(message);
        }
        const report = await runCli(["report", path.join(dir, "nothing-here")]);
        expect(report.code).toBe(3);
        expect(report.stderr).toContain("evaluation folder not found");
    });
});

describe("prism study and prism report on a tiny model (20 items per benchmark)", () => {
    let browser: Browser | undefined;
    afterAll(async () => {
        await browser?.close();
    });

    it("runs the whole persona grid, and the report renders in Chromium with data in every chart", async () => {
        const out = path.join(dir, "study");
        const study = await runCli(["study", "--model", model, "--data", data, "--limit", "20", "--max-tokens", "8", "--safety-max-tokens", "8", "--judge-max-tokens", "8", "--bootstrap", "300", "--out", out, "--json"], {timeoutMs: 300_000});
        expect(study.code, study.stderr).toBe(0);
        const summary = EvalSummary.parse(JSON.parse(study.stdout));
        expect(summary.kind).toBe("study");
        expect(summary.conditions.length).toBe(1 + 6 + 12 + 1);
        expect(summary.notes.some((n) => n.startsWith("Random persona control"))).toBe(true);
        for (const benchmark of ["mmlu", "mt-bench", "safety"] as const)
            expect(summary.scores.filter((s) => s.condition === "base" && s.benchmark === benchmark).reduce((a, s) => a + s.n + (s.unparsed ?? 0), 0)).toBeGreaterThanOrEqual(20);
        expect(summary.deltas.filter((d) => d.benchmark === "mmlu" && d.category === "all").length).toBe(19);
        const report = await runCli(["report", out, "--json"]);
        expect(report.code, report.stderr).toBe(0);
        const files = JSON.parse(report.stdout) as {html: string, markdown: string};
        expect(fs.readFileSync(files.markdown, "utf8")).toContain("## Change against `base`");
        if (chromiumMissing) return console.warn(`skipping the browser check: ${chromiumMissing}`);
        browser = await launchChromium();
        const page = await inspectReport(browser, files.html, path.join(out, "report.png"));
        expect(page.errors).toEqual([]);
        expect(page.requests).toEqual([]);
        expect(page.pageWidth, "the study's wide tables scroll in their own boxes, not the page").toBeLessThanOrEqual(1280);
        expect(page.charts.map((c) => c.id)).toEqual(expect.arrayContaining(["overall", "delta-grid", "persona-grid", "refusal", "compliance"]));
        for (const c of page.charts) expect(c.data, `chart ${c.id} has no data`).toBeGreaterThan(0);
    }, 330_000); // the study itself may take runCli's 300 s on a busy machine
});
