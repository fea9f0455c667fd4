import fs from "node:fs";
import path from "node:path";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {WORLD_BENCH} from "../../src/eval/benchmark-spec.js";
import {loadWorldTasks} from "../../src/eval/data/world-tasks.js";
import {WorldRecord} from "../../src/eval/runners/eval-records.js";
import {ResultLog} from "../../src/eval/runners/result-log.js";
import {EvalSummary} from "../../src/eval/summary/eval-summary.js";
import {worldSplitOf} from "../../src/world/generate-tasks.js";
import {WORLD_DOMAINS} from "../../src/world/planted-effects.js";
import {worldPersona} from "../../src/world/world-answers.js";
import {runCli} from "../helpers/run-cli.js";
import {tempDir} from "../helpers/tiny-models.js";
import {makeTinyRun} from "../helpers/tiny-run.js";

// `prism eval --bench world` through the built CLI on a hand-made tiny run (random model, adapter and gate): the
// scores are near 0, the plumbing is real: held-out tasks, every condition, code scoring, summary, report, resume, rescore.
const dir = tempDir("world-bench");
let run: string;
beforeAll(async () => {
    run = (await makeTinyRun(path.join(dir, "run"))).dir;
});
afterAll(() => fs.rmSync(dir, {recursive: true, force: true}));

const CONDITIONS = ["base", "persona:short:system", "adapter", "prism"];
const evalArgs = (out: string) => ["eval", "--run", run, "--bench", "world", "--limit", "24", "--conditions", CONDITIONS.join(","), "--bootstrap", "200", "--out", out, "--no-gpu", "--json"];
const logOf = (out: string, condition: string) => path.join(out, "logs", "world", `${condition.replace(/:/g, "-")}.jsonl`);

describe("prism eval --bench world", () => {
    const out = path.join(dir, "eval");
    let summary: EvalSummary;

    it("answers held-out tasks of all 12 domains under every condition, scored by code, into the summary", async () => {
        const r = await runCli(evalArgs(out), {timeoutMs: 600_000});
        expect(r.code, r.stderr).toBe(0);
        summary = EvalSummary.parse(JSON.parse(r.stdout));
        expect(summary.benchmarks).toEqual(["world"]);
        expect(summary.judge).toBe("none (scored by code)");
        for (const c of CONDITIONS) {
            const rows = summary.scores.filter((s) => s.condition === c && s.benchmark === "world");
            expect(rows.map((s) => s.category).sort(), c).toEqual([...WORLD_DOMAINS].sort());
            expect(rows.reduce((a, s) => a + s.n, 0), c).toBe(24);
        }
        const records = await ResultLog.read(logOf(out, "prism"), WorldRecord);
        expect(records).toHaveLength(24);
        expect(records.every((x) => x.route?.reason === "gate" && (x.adapter === null) === (x.route.adapter === null))).toBe(true);
        // Held-out: the first 24 of the held-out draw, every domain in turn, each in a framing the training split never uses.
        const tasks = loadWorldTasks(WORLD_BENCH, 24);
        expect(records.map((x) => x.id)).toEqual(tasks.map((t) => t.id));
        expect(records.map((x) => x.messages.at(-1)!.content)).toEqual(tasks.map((t) => t.prompt));
        expect(tasks.every((t) => worldSplitOf(t) === "heldout")).toBe(true);
    }, 600_000);

    it("places the world's reference persona of the task's domain when the run wrote none", async () => {
        const records = await ResultLog.read(logOf(out, "persona:short:system"), WorldRecord);
        for (const x of records) {
            expect(x.persona!.text).toBe(worldPersona(x.domain as (typeof WORLD_DOMAINS)[number], "short"));
            expect(x.messages[0]).toEqual({role: "system", content: x.persona!.text});
        }
        expect(summary.world!.personas).toMatch(/world's reference personas/);
        expect(summary.personas).toMatch(/world tasks: .*reference/);
    });

    it("with --personas, places the given persona where the file has one and the world's reference persona elsewhere", async () => {
        const file = path.join(dir, "personas.json");
        fs.writeFileSync(file, JSON.stringify({math: {min: "You do sums.", short: "You are a careful mathematician.", long: "You are a careful mathematician who checks every step."}}));
        const personaOut = path.join(dir, "eval-personas");
        const r = await runCli(["eval", "--run", run, "--personas", file, "--bench", "world", "--limit", "12", "--conditions", "persona:short:user", "--bootstrap", "50", "--out", personaOut, "--no-gpu", "--json"], {timeoutMs: 600_000});
        expect(r.code, r.stderr).toBe(0);
        const records = await ResultLog.read(logOf(personaOut, "persona:short:user"), WorldRecord);
        expect(records).toHaveLength(12);
        for (const x of records) {
            const expected = x.domain === "math" ? "You are a careful mathematician." : worldPersona(x.domain as (typeof WORLD_DOMAINS)[number], "short");
            expect(x.persona!.text, x.domain).toBe(expected);
            expect(x.messages).toEqual([{role: "user", content: `${expected}\n\n${loadWorldTasks(WORLD_BENCH, 12).find((t) => t.id === x.id)!.prompt}`}]);
        }
        expect(EvalSummary.parse(JSON.parse(r.stdout)).world!.personas).toContain(file);
    }, 600_000);

    it("reports the world's overall per condition, prism's differences and routing against persona gain", async () => {
        const w = summary.world!;
        expect(w.tasks).toEqual({split: "heldout", seed: 1, perDomain: 50, n: 24});
        expect(w.overall.map((o) => o.condition)).toEqual(CONDITIONS);
        for (const o of w.overall) {
            const domainScores = summary.scores.filter((s) => s.condition === o.condition && s.benchmark === "world").map((s) => s.score!);
            expect(o.score, o.condition).toBeCloseTo(domainScores.reduce((a, b) => a + b, 0) / 12, 9);
            expect(o.domains).toBe(12);
        }
        expect(w.differences.map((d) => `${d.condition}-${d.baseline}`)).toEqual(["prism-base", "prism-persona:short:system", "prism-adapter"]);
        expect(w.differences.every((d) => d.n === 24 && d.ci.low !== null && d.ci.low <= d.delta! && d.delta! <= d.ci.high!)).toBe(true);
        const records = await ResultLog.read(logOf(out, "prism"), WorldRecord);
        for (const d of w.domains) {
            const mine = records.filter((x) => x.domain === d.domain);
            expect(d.prismShare, d.domain).toBeCloseTo(mine.filter((x) => x.adapter !== null).length / mine.length, 9);
        }
        expect(w.persona).toBe("persona:short:system");
        expect(w.correlation.domains).toBe(12);

        const report = await runCli(["report", out]);
        expect(report.code, report.stderr).toBe(0);
        const md = fs.readFileSync(path.join(out, "report.md"), "utf8");
        expect(md).toContain("## Planted world");
        expect(md).toMatch(/`prism` − `adapter` \| [-+]?\d/);
        expect(md).toContain("Routing share of `prism` against persona gain over 12 domains");
        expect(fs.readFileSync(path.join(out, "report.html"), "utf8")).toContain("Planted world");
    });

    it("resumes: a rerun generates nothing new, and a lost tail is answered again", async () => {
        const file = logOf(out, "adapter");
        const before = fs.readFileSync(file, "utf8");
        const again = await runCli(evalArgs(out), {timeoutMs: 600_000});
        expect(again.code, again.stderr).toBe(0);
        expect(fs.readFileSync(file, "utf8")).toBe(before);
        const lines = before.split("\n").filter(Boolean);
        fs.writeFileSync(file, lines.slice(0, 10).join("\n") + "\n");
        const resumed = await runCli(evalArgs(out), {timeoutMs: 600_000});
        expect(resumed.code, resumed.stderr).toBe(0);
        const records = await ResultLog.read(file, WorldRecord);
        expect(records).toHaveLength(24);
        expect(new Set(records.map((x) => x.id)).size).toBe(24);
        expect(records.slice(0, 10).map((x) => JSON.stringify(x))).toEqual(lines.slice(0, 10));
    }, 600_000);

    it("--rescore re-scores the logged answers by today's checker, without the model", async () => {
        // Make one logged base answer to a harmful request a refusal: rescored, it counts as right.
        const file = logOf(out, "base");
        const records = await ResultLog.read(file, WorldRecord);
        const i = records.findIndex((x) => x.domain === "safety monitor" && x.score === 0);
        expect(i).toBeGreaterThanOrEqual(0);
        records[i] = {...records[i]!, response: "I'm sorry, but I can't help with that."};
        fs.writeFileSync(file, records.map((x) => JSON.stringify(x)).join("\n") + "\n");
        const rescoredOut = path.join(dir, "rescored");
        const r = await runCli(["eval", "--rescore", out, "--out", rescoredOut, "--bootstrap", "200", "--json"]);
        expect(r.code, r.stderr).toBe(0);
        const rescored = EvalSummary.parse(JSON.parse(r.stdout));
        const safety = (s: EvalSummary) => s.scores.find((x) => x.condition === "base" && x.benchmark === "world" && x.category === "safety monitor")!;
        expect(safety(rescored).score! - safety(summary).score!).toBeCloseTo(100 / safety(summary).n, 9);
        expect((await ResultLog.read(logOf(rescoredOut, "base"), WorldRecord))[i]!.score).toBe(1);
        expect(rescored.world!.overall.find((o) => o.condition === "adapter")!.score).toBe(summary.world!.overall.find((o) => o.condition === "adapter")!.score);
    });
});
