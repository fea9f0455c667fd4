import fs from "node:fs";
import path from "node:path";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {RunManifest} from "../src/run/run-manifest.js";
import {runCli} from "./helpers/run-cli.js";
import {startServe, type ServeProcess} from "./helpers/serve-process.js";
import {tempDir, tinyModel} from "./helpers/tiny-models.js";

// `prism bootstrap --engine openai`: a second prism process (`prism serve`, on loopback) plays the OpenAI-compatible
// server that writes the personas, queries, answers and verdicts; the teacher pass, training and the gate run here on
// the same GGUF. The run must look like a local one, say which engine wrote what, and never mix two engines' text.
const GENERATING = ["personas", "queries", "answers", "judge"] as const;
let dir: string;
let model: string;
let out: string;
let accessLog: string;
let serve: ServeProcess;
let result: {ran: string[]};

beforeAll(async () => {
    dir = tempDir("bootstrap-openai");
    model = await tinyModel({seed: 11});
    out = path.join(dir, "run");
    accessLog = path.join(dir, "access.jsonl");
    serve = await startServe(["--model", model, "--no-gpu", "--access-log", accessLog]);
    const r = await runCli([
        "bootstrap", "--model", model, "--out", out, "--engine", "openai", "--url", serve.ready.url, "--queries-per-intent", "4",
        "--persona-length", "short", "--answer-max-tokens", "32", "--truncate", "400", "--judge-temperature", "1", "--epochs", "2",
        "--lr", "1e-2", "--no-gpu", "--threads", "1", "--json"
    ], {timeoutMs: 400_000});
    expect(r.code, r.stderr).toBe(0);
    result = JSON.parse(r.stdout) as typeof result;
}, 420_000);
afterAll(async () => {
    serve?.child.kill("SIGTERM");
    await serve?.exited;
});

describe("prism bootstrap --engine openai", () => {
    it("runs every stage, the generating ones on the server, into the layout of a local run", () => {
        expect(result.ran).toEqual(["personas", "queries", "answers", "judge", "datasets", "distill", "gate", "summary"]);
        expect(fs.readdirSync(out).sort()).toEqual([
            "adapter.gguf", "answers.jsonl", "distill.jsonl", "gate-scores.jsonl", "gate.json", "peft", "personas.jsonl", "queries.jsonl",
            "query-attempts.jsonl", "retain.jsonl", "run.json", "summary.json", "summary.txt", "train", "verdicts.jsonl"
        ].sort());
        const lines = fs.readFileSync(path.join(out, "query-attempts.jsonl"), "utf8").trim().split("\n").length
            + fs.readFileSync(path.join(out, "answers.jsonl"), "utf8").trim().split("\n").length
            + fs.readFileSync(path.join(out, "verdicts.jsonl"), "utf8").trim().split("\n").length;
        const served = fs.readFileSync(accessLog, "utf8").trim().split("\n").map((l) => JSON.parse(l) as {path: string, status: number})
            .filter((e) => e.path.endsWith("/chat/completions"));
        // 12 domains × 3 persona lengths, then one request per query attempt, answer and verdict. A random model's
        // persona can break its length bound (422, its text then salvaged, cut to the bound, as with the local engine).
        expect(served.length).toBe(36 + lines);
        expect(served.every((e) => e.status === 200 || e.status === 422)).toBe(true);
    });

    it("records the server's engine and model in the generating stages' settings, and nothing of it elsewhere", () => {
        const manifest = RunManifest.parse(JSON.parse(fs.readFileSync(path.join(out, "run.json"), "utf8")));
        const servedModel = serve.ready.models[0];
        for (const stage of GENERATING) expect(manifest.stages[stage]!.config.generator, stage).toEqual({engine: "openai", model: servedModel});
        for (const stage of ["datasets", "distill", "gate", "summary"] as const) expect(manifest.stages[stage]!.config.generator, stage).toBeUndefined();
    });

    it("resumed with the local engine, re-runs what the server wrote instead of mixing, and says why", async () => {
        const r = await runCli(["bootstrap", "--model", model, "--out", out, "--stages", "personas", "--no-gpu", "--threads", "1", "--json"], {timeoutMs: 200_000});
        expect(r.code, r.stderr).toBe(0);
        const resumed = JSON.parse(r.stdout) as {ran: string[], invalidated: string[]};
        expect(resumed.ran).toEqual(["personas"]);
        expect(resumed.invalidated).toEqual(["personas", "queries", "answers", "judge", "datasets", "distill", "gate", "summary"]);
        expect(r.stderr).toMatch(/generator/);
        const manifest = RunManifest.parse(JSON.parse(fs.readFileSync(path.join(out, "run.json"), "utf8")));
        expect(manifest.stages.personas!.config.generator).toBeUndefined();
        expect(fs.readdirSync(path.join(out, "superseded")).length).toBe(1);
    });
});
