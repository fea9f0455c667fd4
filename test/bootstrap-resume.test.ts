import fs from "node:fs";
import path from "node:path";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {tempDir, tinyModel} from "./helpers/tiny-models.js";
import {runCli, spawnCli} from "./helpers/run-cli.js";

// Resuming `prism bootstrap` through the CLI (npm test builds it first): kill -9 and Ctrl-C mid-stage, then the
// same command again, compared with a run that was never interrupted. Bootstrap's default of one parallel sequence
// makes runs reproducible bit for bit (llama.cpp's batched decoding rounds differently with what shares the batch).
// Three domains with hand-written personas and long answers keep it short while leaving the answers stage long
// enough (about a second) to be interrupted in the middle.
let root: string;
let model: string;
let personasFile: string;

const common = () => ["bootstrap",
    "--model", model, "--personas", personasFile, "--queries-per-intent", "4", "--answer-max-tokens", "160", "--truncate", "300",
    "--judge-temperature", "1", "--no-gpu", "--stages", "personas,queries,answers,judge,datasets"
];
const lines = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, "utf8").split("\n").filter((l) => l !== "") : []);
const sortedRecords = (dir: string, file: string) => lines(path.join(dir, file)).sort();
const stageFiles = ["personas.jsonl", "query-attempts.jsonl", "queries.jsonl", "answers.jsonl", "verdicts.jsonl", "distill.jsonl", "retain.jsonl"];

/** Starts a run, waits until the answers file has `atLeast` records, then delivers `signal`. */
async function interruptDuringAnswers(out: string, signal: NodeJS.Signals, atLeast: number) {
    const {child, done} = spawnCli([...common(), "--out", out]);
    const answers = path.join(out, "answers.jsonl");
    while (lines(answers).length < atLeast) {
        if (child.exitCode !== null) throw new Error(`the run ended before it could be interrupted:\n${(await done).stderr}`);
        await new Promise((r) => setTimeout(r, 5));
    }
    child.kill(signal);
    const result = await done;
    return {result, kept: lines(answers)};
}

let reference: string;
beforeAll(async () => {
    root = tempDir("bootstrap-resume");
    model = await tinyModel({seed: 11});
    personasFile = path.join(root, "personas.jsonl");
    fs.writeFileSync(personasFile, ["math", "coding", "critic"].map((domain) => JSON.stringify({domain, persona: `You are an expert in ${domain}. You answer precisely and check your work.`})).join("\n") + "\n");
    reference = path.join(root, "uninterrupted");
    const r = await runCli([...common(), "--out", reference]);
    expect(r.code, r.stderr).toBe(0);
});
afterAll(() => fs.rmSync(root, {recursive: true, force: true}));

describe("prism bootstrap: resume", () => {
    it("after kill -9 mid-stage, resumes without losing or redoing an item, ending with the uninterrupted run's records", async () => {
        const out = path.join(root, "killed");
        const {result, kept} = await interruptDuringAnswers(out, "SIGKILL", 3);
        expect(result.code).toBe(137);
        const total = lines(path.join(reference, "answers.jsonl")).length;
        expect(kept.length).toBeLessThan(total);

        const resumed = await runCli([...common(), "--out", out]);
        expect(resumed.code, resumed.stderr).toBe(0);
        expect(resumed.stderr).toMatch(/queries: already done/);
        expect(resumed.stderr).toMatch(/answers: resuming/);
        const after = lines(path.join(out, "answers.jsonl"));
        // Finished records stay as they were, each answer appears once, and the whole run matches the uninterrupted one.
        expect(after.slice(0, kept.length)).toEqual(kept);
        const ids = after.map((l) => (JSON.parse(l) as {id: string}).id);
        expect(new Set(ids).size).toBe(ids.length);
        for (const file of stageFiles) expect(sortedRecords(out, file), file).toEqual(sortedRecords(reference, file));
    });

    it("after Ctrl-C exits with 130, saying how to resume, and resumes to the same records", async () => {
        const out = path.join(root, "interrupted");
        const {result} = await interruptDuringAnswers(out, "SIGINT", 2);
        expect(result.code, result.stderr).toBe(130);
        expect(result.stderr).toMatch(/interrupted during answers; every finished item is saved/);
        expect(result.stderr).toMatch(/hint: run the same command again to resume/);
        const manifest = JSON.parse(fs.readFileSync(path.join(out, "run.json"), "utf8")) as {stages: Record<string, {status: string}>};
        expect(manifest.stages.answers?.status).toBe("running");

        const resumed = await runCli([...common(), "--out", out]);
        expect(resumed.code, resumed.stderr).toBe(0);
        for (const file of stageFiles) expect(sortedRecords(out, file), file).toEqual(sortedRecords(reference, file));
    });

    it("cuts a torn last record (a kill mid-write) and redoes that item only", async () => {
        const out = path.join(root, "torn");
        fs.cpSync(reference, out, {recursive: true});
        const answers = path.join(out, "answers.jsonl");
        const all = lines(answers);
        // The run as a kill in the middle of writing the sixth answer leaves it.
        fs.writeFileSync(answers, all.slice(0, 5).join("\n") + "\n" + all[5]!.slice(0, 40));
        const manifestPath = path.join(out, "run.json");
        const manifest = JSON.parse(fs.readFileSync(manifestPath, "utf8")) as {stages: Record<string, {status: string}>};
        manifest.stages.answers!.status = "running";
        for (const s of ["judge", "datasets"]) delete manifest.stages[s];
        fs.writeFileSync(manifestPath, JSON.stringify(manifest));
        for (const f of ["verdicts.jsonl", "distill.jsonl", "retain.jsonl"]) fs.rmSync(path.join(out, f));

        const resumed = await runCli([...common(), "--out", out]);
        expect(resumed.code, resumed.stderr).toBe(0);
        expect(lines(answers)).toEqual(all);
    });

    it("re-running a finished run does nothing", async () => {
        const before = stageFiles.map((f) => fs.statSync(path.join(reference, f)).mtimeMs);
        const again = await runCli([...common(), "--out", reference]);
        expect(again.code, again.stderr).toBe(0);
        expect(again.stdout).toMatch(/nothing to do/);
        expect(stageFiles.map((f) => fs.statSync(path.join(reference, f)).mtimeMs)).toEqual(before);
    });

    it("a changed setting redoes its stage and the later ones, says what changed, and keeps the old files aside", async () => {
        const out = path.join(root, "changed");
        fs.cpSync(reference, out, {recursive: true});
        const untouched = ["personas.jsonl", "query-attempts.jsonl", "queries.jsonl"].map((f) => fs.readFileSync(path.join(out, f), "utf8"));
        const oldAnswers = fs.readFileSync(path.join(out, "answers.jsonl"), "utf8");
        const args = common();
        args[args.indexOf("--answer-max-tokens") + 1] = "24";
        const r = await runCli([...args, "--out", out]);
        expect(r.code, r.stderr).toBe(0);
        expect(r.stderr).toMatch(/answers: settings changed \(answerMaxTokens: 160 → 24\); redoing answers, judge, datasets; their old files are in .*superseded/);
        expect(r.stdout).toMatch(/ran answers, judge, datasets/);
        expect(["personas.jsonl", "query-attempts.jsonl", "queries.jsonl"].map((f) => fs.readFileSync(path.join(out, f), "utf8"))).toEqual(untouched);
        const [aside] = fs.readdirSync(path.join(out, "superseded"));
        expect(fs.readFileSync(path.join(out, "superseded", aside!, "answers.jsonl"), "utf8")).toBe(oldAnswers);
        for (const l of lines(path.join(out, "answers.jsonl"))) expect((JSON.parse(l) as {outputTokens: number}).outputTokens).toBeLessThanOrEqual(24);
    });

    it("the sampling temperatures are settings too: --answer-temperature 0 redoes answers and later stages greedily; an out-of-range one is refused", async () => {
        const out = path.join(root, "greedy-answers");
        fs.cpSync(reference, out, {recursive: true});
        const r = await runCli([...common(), "--answer-temperature", "0", "--out", out]);
        expect(r.code, r.stderr).toBe(0);
        expect(r.stderr).toMatch(/answers: settings changed \(answerTemperature: 0\.7 → 0\); redoing answers, judge, datasets/);
        const config = (JSON.parse(fs.readFileSync(path.join(out, "run.json"), "utf8")) as {stages: {answers: {config: {answerTemperature: number}}}}).stages.answers.config;
        expect(config.answerTemperature).toBe(0);
        const bad = await runCli([...common(), "--query-temperature", "3", "--out", path.join(root, "bad-temperature")]);
        expect(bad.code).toBe(2);
        expect(bad.stderr).toMatch(/^prism: --query-temperature: Too big: expected number to be <=2 \(got 3\)$/m);
    });

    it("refuses to continue a run with another model", async () => {
        const other = await tinyModel({seed: 12});
        const args = common();
        args[args.indexOf("--model") + 1] = other;
        const r = await runCli([...args, "--out", reference]);
        expect(r.code).toBe(2);
        expect(r.stderr).toMatch(/holds a run made with another model/);
        expect(r.stderr).toMatch(/hint: resume with the run's model/);
    });
});
