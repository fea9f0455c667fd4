import fs from "node:fs";
import path from "node:path";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {loadChatTokenizer} from "../src/engine/load-chat-tokenizer.js";
import {loadGate} from "../src/gate/gate-file.js";
import {partialForwardFeatures} from "../src/gate/partial-forward-features.js";
import {RunManifest} from "../src/run/run-manifest.js";
import {loadAdapter} from "../src/lora/adapter-file.js";
import {describeGguf} from "../src/model/describe-gguf.js";
import {DEFAULT_DOMAINS} from "../src/pipeline/bootstrap-config.js";
import {distillExamples} from "../src/pipeline/distill-stage.js";
import {domainId} from "../src/pipeline/domain-id.js";
import {
    AnswerRecord, DatasetRecord, GateScoreRecord, PersonaRecord, QueryAttemptRecord, QueryRecord, VerdictRecord
} from "../src/pipeline/run-records.js";
import {RunSummary} from "../src/pipeline/run-summary.js";
import {LoraTrainer} from "../src/train/lora-trainer.js";
import {readJsonl} from "../src/util/jsonl.js";
import {MmluRecord} from "../src/eval/runners/eval-records.js";
import {ResultLog} from "../src/eval/runners/result-log.js";
import {EvalSummary} from "../src/eval/summary/eval-summary.js";
import {writeEvalFixtures} from "./helpers/eval-fixtures.js";
import {runCli} from "./helpers/run-cli.js";
import {startServe} from "./helpers/serve-process.js";
import {tempDir, tinyModel} from "./helpers/tiny-models.js";

// `prism bootstrap` end to end on a tiny random model (width 64, 2 layers), the paper's 12 domains, 4 queries each,
// run once through the CLI (npm test builds it first) with the demo's settings; every test below reads that one run. The model's words are
// noise, so its greedy judge always picks the same position and the persona could never win both orders: the run
// samples its verdicts (--judge-temperature 1) so that both outcomes occur, as the gate needs.
let root: string;
let model: string;
let out: string;
let fingerprint: string;
let cliResult: {ran: string[], summary: RunSummary};

const file = (name: string) => path.join(out, name);
const QUERIES = 4;

beforeAll(async () => {
    root = tempDir("bootstrap-e2e");
    model = await tinyModel({seed: 11});
    fingerprint = (await describeGguf(model)).fingerprint;
    out = path.join(root, "run");
    const r = await runCli([
        "bootstrap", "--model", model, "--out", out, "--queries-per-intent", String(QUERIES), "--persona-length", "short", "--answer-max-tokens", "48",
        "--truncate", "400", "--judge-temperature", "1", "--epochs", "4", "--lr", "1e-2", "--no-gpu", "--json"
    ], {timeoutMs: 240_000});
    expect(r.code, r.stderr).toBe(0);
    cliResult = JSON.parse(r.stdout) as typeof cliResult;
});
afterAll(() => fs.rmSync(root, {recursive: true, force: true}));

describe("prism bootstrap end to end", () => {
    it("runs every stage and records each in the manifest with its counts", async () => {
        expect(cliResult.ran).toEqual(["personas", "queries", "answers", "judge", "datasets", "distill", "gate", "summary"]);
        const manifest = RunManifest.parse(JSON.parse(fs.readFileSync(file("run.json"), "utf8")));
        expect(manifest.model).toEqual({path: model, fingerprint});
        for (const stage of cliResult.ran) {
            expect(manifest.stages[stage as keyof typeof manifest.stages]?.status, stage).toBe("done");
            expect(manifest.stages[stage as keyof typeof manifest.stages]?.configHash, stage).toMatch(/^sha256:/);
        }
        expect(manifest.stages.queries!.counts.kept).toBe(QUERIES * DEFAULT_DOMAINS.length);
    });

    it("writes a persona of three lengths for each of the paper's twelve domains", async () => {
        const personas = await readJsonl(file("personas.jsonl"), PersonaRecord.strict());
        expect(personas.map((p) => p.domain)).toEqual([...DEFAULT_DOMAINS]);
        for (const p of personas) {
            expect(p.source).toBe("model");
            expect(p.id).toBe(domainId(p.domain));
            for (const [length, max] of [["min", 120], ["short", 600], ["long", 1600]] as const) {
                expect(p[length].length, `${p.domain} ${length}`).toBeGreaterThan(0);
                expect([...p[length]].length, `${p.domain} ${length}`).toBeLessThanOrEqual(max);
            }
        }
    });

    it("keeps N clean, distinct queries per domain from its recorded attempts, with a held-out share", async () => {
        const attempts = await readJsonl(file("query-attempts.jsonl"), QueryAttemptRecord.strict());
        const queries = await readJsonl(file("queries.jsonl"), QueryRecord.strict());
        expect(new Set(queries.map((q) => q.id)).size).toBe(queries.length);
        const attemptIds = new Set(attempts.map((a) => a.id));
        for (const d of DEFAULT_DOMAINS) {
            const mine = queries.filter((q) => q.domain === domainId(d));
            expect(mine, d).toHaveLength(QUERIES);
            expect(mine.filter((q) => q.split === "heldOut"), d).toHaveLength(1);
            for (const q of mine) {
                expect(attemptIds.has(q.id)).toBe(true);
                expect(q.text.length).toBeGreaterThan(15);
                expect(q.text).not.toContain("\n");
            }
        }
    });

    it("answers every query twice and judges every pair in both orders", async () => {
        const queries = await readJsonl(file("queries.jsonl"), QueryRecord);
        const answers = await readJsonl(file("answers.jsonl"), AnswerRecord.strict());
        const verdicts = await readJsonl(file("verdicts.jsonl"), VerdictRecord);
        expect(answers).toHaveLength(2 * queries.length);
        expect(verdicts).toHaveLength(2 * queries.length);
        for (const q of queries) {
            expect(answers.filter((a) => a.queryId === q.id).map((a) => a.variant).sort()).toEqual(["base", "persona"]);
            const mine = verdicts.filter((v) => v.queryId === q.id);
            expect(mine.map((v) => (v.mode === "pairwise" ? v.order : "")).sort()).toEqual(["base-first", "persona-first"]);
            for (const v of mine) {
                if (v.mode !== "pairwise") throw new Error("expected pairwise verdicts");
                const first = v.order === "base-first" ? "base" : "persona", second = first === "base" ? "persona" : "base";
                expect(v.preferred).toBe(v.verdict === "TIE" ? "tie" : v.verdict === "A" ? first : second);
            }
        }
    });

    it("puts exactly the persona wins in the distill set, with the persona's answer and the persona, the rest in the retain set", async () => {
        const personas = new Map((await readJsonl(file("personas.jsonl"), PersonaRecord)).map((p) => [p.id, p]));
        const queries = await readJsonl(file("queries.jsonl"), QueryRecord);
        const answers = new Map((await readJsonl(file("answers.jsonl"), AnswerRecord)).map((a) => [a.id, a]));
        const verdicts = await readJsonl(file("verdicts.jsonl"), VerdictRecord);
        const distill = await readJsonl(file("distill.jsonl"), DatasetRecord.strict());
        const retain = await readJsonl(file("retain.jsonl"), DatasetRecord.strict());
        expect(distill.length + retain.length).toBe(queries.length);
        expect(distill.length).toBeGreaterThanOrEqual(2);
        expect(retain.length).toBeGreaterThanOrEqual(2);
        for (const q of queries) {
            const won = verdicts.filter((v) => v.queryId === q.id).every((v) => v.mode === "pairwise" && v.preferred === "persona");
            const record = (won ? distill : retain).find((r) => r.id === q.id);
            expect(record, q.id).toBeDefined();
            expect(record!.label).toBe(won ? 1 : 0);
            expect(record!.split).toBe(q.split);
            expect(record!.messages).toEqual([{role: "user", content: q.text}, {role: "assistant", content: answers.get(`${q.id}:${won ? "persona" : "base"}`)!.text}]);
            if (won) expect(record!.teacher_system).toBe(personas.get(q.domain)!.short);
        }
    });

    it("distils into an adapter of rank 16 on every block but the first, as GGUF and PEFT, recording the loss and held-out KL", async () => {
        const gguf = await loadAdapter(file("adapter.gguf"));
        expect(gguf.lora.rank).toBe(16);
        expect(gguf.lora.alpha).toBe(32);
        expect(new Set(gguf.lora.modules.map((m) => m.layer))).toEqual(new Set([1]));
        expect(new Set(gguf.lora.modules.map((m) => m.target)).size).toBe(7);
        const peft = await loadAdapter(file("peft"));
        expect(peft.format).toBe("peft");
        expect(peft.lora.modules).toHaveLength(gguf.lora.modules.length);
        // Trained: B is no longer the zero it starts at.
        expect(gguf.lora.modules.some((m) => m.b.some((x) => x !== 0))).toBe(true);
        const details = RunManifest.parse(JSON.parse(fs.readFileSync(file("run.json"), "utf8"))).stages.distill!.details as {losses: number[], heldOutKl: {before: number, after: number}};
        expect(details.losses.length).toBe(cliResult.summary.adapter.steps);
        expect(details.losses.every(Number.isFinite)).toBe(true);
        console.log(`distill: ${details.losses.length} steps, loss ${details.losses[0]!.toFixed(4)} → ${details.losses.at(-1)!.toFixed(4)}; held-out KL ${details.heldOutKl.before.toFixed(4)} → ${details.heldOutKl.after.toFixed(4)}`);
        expect(details.heldOutKl.before).toBeGreaterThan(0);
        expect(details.heldOutKl.after).toBeLessThan(details.heldOutKl.before);
    });

    it("gives the teacher the persona: its distribution differs from the student's, where a blanked persona would teach nothing", async () => {
        const tokenizer = await loadChatTokenizer(model);
        const examples = await distillExamples(file("distill.jsonl"), tokenizer, 512);
        await tokenizer.dispose();
        const all = [...examples.train, ...examples.heldOut];
        for (const e of all) expect(e.teacherPrompt!.length).toBeGreaterThan(e.prompt.length);
        const vocabulary = (await describeGguf(model)).hparams!.vocab;
        // All tokens kept (top-k = V), so a teacher that saw no persona would be the student exactly: KL 0.
        using trainer = await LoraTrainer.create({modelPath: model, objective: "distill", topK: vocabulary, threads: 1});
        const withPersona = (await trainer.evaluate(all)).kl!;
        const blanked = (await trainer.evaluate(all.map((e) => ({...e, teacherPrompt: e.prompt})))).kl!;
        console.log(`KL(teacher ‖ student) per answer token: with the persona ${withPersona.toExponential(3)}, persona blanked ${blanked.toExponential(3)}`);
        expect(blanked).toBeLessThan(1e-4);
        expect(withPersona).toBeGreaterThan(100 * Math.max(blanked, 1e-6));
    });

    it("trains a gate on the hidden state after block 0 that names the model it was made for, and scores every query", async () => {
        const gate = await loadGate(file("gate.json"), {modelFingerprint: fingerprint});
        expect(gate.features).toEqual({layer: 1, position: "last-prompt-token", width: 64});
        expect(gate.training!.candidates.mlp).toBeDefined();
        expect(gate.training!.candidates.logreg).toBeDefined();
        const scores = await readJsonl(file("gate-scores.jsonl"), GateScoreRecord.strict());
        const queries = await readJsonl(file("queries.jsonl"), QueryRecord);
        expect(scores.map((s) => s.id).sort()).toEqual(queries.map((q) => q.id).sort());
        // The recorded scores are the gate's on the features routing computes.
        const tokenizer = await loadChatTokenizer(model);
        const features = await partialForwardFeatures({modelPath: model, tokenizer, threads: 1});
        try {
            for (const s of scores.slice(0, 6)) {
                const q = queries.find((x) => x.id === s.id)!;
                const score = gate.score(await features.extract([{role: "user", content: q.text}]));
                expect(score).toBeCloseTo(s.score, 5);
                expect(s.routed).toBe(score >= gate.threshold ? "adapter" : "base");
            }
        } finally {
            features.dispose();
            await tokenizer.dispose();
        }
    });

    it("summarises per domain and overall, in summary.json and --json", async () => {
        const summary = RunSummary.parse(JSON.parse(fs.readFileSync(file("summary.json"), "utf8")));
        expect(cliResult.summary).toEqual(summary);
        expect(summary.domains.map((d) => d.domain)).toEqual([...DEFAULT_DOMAINS]);
        const distill = await readJsonl(file("distill.jsonl"), DatasetRecord);
        expect(summary.overall.queries).toBe(QUERIES * DEFAULT_DOMAINS.length);
        expect(summary.overall.personaWins).toBe(distill.length);
        expect(summary.domains.reduce((n, d) => n + d.personaWins, 0)).toBe(distill.length);
        expect(summary.overall.heldOut).toBe(DEFAULT_DOMAINS.length);
        expect(summary.overall.gateAuc).not.toBeNull();
        expect(summary.gate.candidates.mlp?.auc).not.toBeUndefined();
        expect(summary.gate.candidates.logreg?.auc).not.toBeUndefined();
        expect(fs.readFileSync(file("summary.txt"), "utf8")).toMatch(/^domain +queries +held out +persona wins/);
    });
});

type GenerateOutput = {results: {index: number, text: string, adapter: string | null, route?: {adapter: string | null, score: number | null, reason: string}}[]};

describe("routed generation from the run", () => {
    let prompts: string;
    let reference: {base: string[], adapter: string[]};
    const generate = async (args: string[]) => {
        const r = await runCli(["generate", "--file", prompts, "--max-tokens", "8", "--no-gpu", "--json", ...args]);
        expect(r.code, r.stderr).toBe(0);
        return (JSON.parse(r.stdout) as GenerateOutput).results;
    };

    beforeAll(async () => {
        const queries = await readJsonl(file("queries.jsonl"), QueryRecord);
        prompts = path.join(root, "prompts.jsonl");
        fs.writeFileSync(prompts, queries.map((q) => JSON.stringify({prompt: q.text})).join("\n") + "\n");
        // The same prompts on the plain model, and with the run's adapter loaded by hand (--base answers both ways).
        const both = await generate(["--model", model, "--adapter", file("adapter.gguf"), "--base"]);
        reference = {base: both.filter((r) => r.adapter === null).map((r) => r.text), adapter: both.filter((r) => r.adapter === "adapter").map((r) => r.text)};
        expect(reference.base).toHaveLength(queries.length);
        expect(reference.adapter.filter((t, i) => t !== reference.base[i]).length).toBeGreaterThan(0);
    });

    it("generate --run --json reports each prompt's route and gate score, and the route follows the gate", async () => {
        const gate = await loadGate(file("gate.json"));
        const results = await generate(["--run", out]);
        for (const [i, r] of results.entries()) {
            expect(r.route!.reason).toBe("gate");
            expect(r.route!.score).toBeGreaterThanOrEqual(0);
            expect(r.route!.score).toBeLessThanOrEqual(1);
            expect(r.route!.adapter).toBe(r.route!.score! >= gate.threshold ? "persona" : null);
            expect(r.adapter).toBe(r.route!.adapter);
            expect(r.text).toBe(r.adapter ? reference.adapter[i] : reference.base[i]);
        }
        expect(new Set(results.map((r) => r.adapter))).toEqual(new Set([null, "persona"]));
    });

    it("a gate forced to 1 or 0 gives exactly the adapter's or the base model's output", async () => {
        const adapter = await generate(["--run", out, "--route", "adapter"]);
        const base = await generate(["--run", out, "--route", "base"]);
        expect(adapter.map((r) => r.text)).toEqual(reference.adapter);
        expect(base.map((r) => r.text)).toEqual(reference.base);
        expect(adapter.every((r) => r.route!.adapter === "persona" && r.route!.reason === "explicit" && r.route!.score === null)).toBe(true);
        expect(base.every((r) => r.route!.adapter === null && r.route!.reason === "explicit")).toBe(true);
    });

    it("prism serve --run serves the run: each request routed by its gate on block-0 features, with that model's text", async () => {
        const routed = await generate(["--run", out]);
        const serve = await startServe(["--run", out, "--no-gpu", "--access-log", "off"]);
        try {
            expect(serve.ready).toMatchObject({models: ["prism", "base", "adapter", "persona"], routing: {features: "partial-forward", policy: "first-turn", adapter: "persona"}});
            const queries = await readJsonl(file("queries.jsonl"), QueryRecord);
            for (const i of [0, 1, 2, 3, 4, 5]) {
                const response = await fetch(`${serve.ready.url}/chat/completions`, {
                    method: "POST", headers: {"content-type": "application/json"},
                    body: JSON.stringify({model: "prism", messages: [{role: "user", content: queries[i]!.text}], max_tokens: 8, temperature: 0})
                });
                const body = await response.json() as {choices: {message: {content: string}}[], prism: {route: string, adapter: string | null, gate_score: number, reason: string}};
                expect(body.prism).toEqual({route: routed[i]!.adapter ? "adapter" : "base", adapter: routed[i]!.adapter, gate_score: routed[i]!.route!.score, reason: "gate"});
                expect(body.choices[0]!.message.content).toBe(routed[i]!.text);
            }
        } finally {
            serve.child.kill("SIGTERM");
            expect(await serve.exited).toBe(0);
        }
    });

    it("chat --run shows each turn's route: the gate decides the first turn, later turns reuse it", async () => {
        const queries = await readJsonl(file("queries.jsonl"), QueryRecord);
        const r = await runCli(["chat", "--run", out, "--max-tokens", "6", "--no-gpu", "--json"], {input: `${queries[0]!.text}\n${queries[1]!.text}\n`});
        expect(r.code, r.stderr).toBe(0);
        const turns = r.stdout.trim().split("\n").map((l) => JSON.parse(l) as {turn: number, route: {adapter: string | null, score: number, reason: string}});
        expect(turns.map((t) => t.route.reason)).toEqual(["gate", "reused"]);
        expect(turns[1]!.route.adapter).toBe(turns[0]!.route.adapter);
        expect(turns[1]!.route.score).toBe(turns[0]!.route.score);
        const human = await runCli(["chat", "--run", out, "--max-tokens", "6", "--no-gpu"], {input: `${queries[0]!.text}\n`});
        expect(human.stdout).toMatch(/^\[(persona|base) \(gate \d\.\d{3}\)\] /);
    });
});

describe("prism eval --run: PRISM against its baselines", () => {
    it("evaluates base, adapter and the gated prism condition from the run alone, prism taking each question's route from the gate", async () => {
        const data = writeEvalFixtures(path.join(root, "eval-data"), {mmluPerSubject: 6});
        const evalOut = path.join(root, "eval");
        const r = await runCli(["eval", "--run", out, "--bench", `mmlu=${path.join(data, "mmlu")}`, "--conditions", "base,adapter,prism",
            "--score-batch-size", "1", "--no-gpu", "--out", evalOut, "--json"]);
        expect(r.code, r.stderr).toBe(0);
        const read = (c: string) => ResultLog.read(path.join(evalOut, "logs", "mmlu", `${c}.jsonl`), MmluRecord);
        const [base, adapter, prism] = await Promise.all([read("base"), read("adapter"), read("prism")]);
        expect(prism).toHaveLength(24);
        const gate = await loadGate(file("gate.json"));
        const byId = (records: MmluRecord[]) => new Map(records.map((x) => [x.id, x]));
        const baseById = byId(base), adapterById = byId(adapter);
        for (const x of prism) {
            expect(x.route!.reason).toBe("gate");
            expect(x.adapter).toBe(x.route!.score! >= gate.threshold ? "persona" : null);
            // Routed to the adapter, prism scores as always-adapter does; routed to the base model, as base does.
            const same = x.adapter ? adapterById.get(x.id)! : baseById.get(x.id)!;
            expect(x.predicted).toBe(same.predicted);
            for (const [k, lp] of x.letterLogprobs.entries()) expect(lp).toBeCloseTo(same.letterLogprobs[k]!, 4);
        }
        expect(adapter.every((x) => x.adapter === "persona")).toBe(true);
        const summary = EvalSummary.parse(JSON.parse(r.stdout));
        const routed = prism.filter((x) => x.adapter !== null).length;
        const shares = summary.routing.filter((s) => s.condition === "prism");
        expect(shares.length).toBeGreaterThan(0);
        expect(shares.reduce((n, s) => n + s.adapterShare * s.n, 0)).toBeCloseTo(routed, 6);
    });

    it("refuses the prism condition without a run, saying what to pass", async () => {
        const r = await runCli(["eval", "--model", model, "--bench", "mmlu=/nonexistent", "--conditions", "base,prism", "--out", path.join(root, "eval-no-run")]);
        expect(r.code).not.toBe(0);
        expect(r.stderr).toMatch(/prism condition needs --run DIR/);
    });
});
