import fs from "node:fs";
import path from "node:path";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {LlamaEngine} from "../src/engine/llama-engine.js";
import {bootstrap} from "../src/pipeline/bootstrap.js";
import type {StageName} from "../src/run/run-manifest.js";
import {tempDir, tinyModel} from "./helpers/tiny-models.js";

// The generating stages' llama.cpp model is freed before training loads its own copy: bootstrap in this process on
// the tiny model, reading node-llama-cpp's model handles (LlamaEngine.loadedModelCount) as each stage starts.
let root: string;
let model: string;
let personas: string;
beforeAll(async () => {
    root = tempDir("bootstrap-engine-release");
    model = await tinyModel({seed: 11});
    personas = path.join(root, "personas.jsonl");
    fs.writeFileSync(personas, ["math", "coding", "critic"].map((domain) => JSON.stringify({domain, persona: `You are an expert in ${domain}. You answer precisely.`})).join("\n") + "\n");
});
afterAll(() => fs.rmSync(root, {recursive: true, force: true}));

describe("bootstrap: the inference engine's memory", () => {
    it("is held while the generating stages run and released before the distill stage trains", async () => {
        const loadedAt = new Map<StageName, number>();
        const before = LlamaEngine.loadedModelCount;
        const result = await bootstrap({
            model, out: path.join(root, "run"), personasFile: personas, queriesPerDomain: 4, answerMaxTokens: 48, truncateChars: 300, judgeTemperature: 1,
            training: {epochs: 1, maxSteps: 1}, gpu: false, device: "cpu", stages: ["personas", "queries", "answers", "judge", "datasets", "distill"],
            onEvent: (e) => {
                if (e.type === "stage-start") loadedAt.set(e.stage, LlamaEngine.loadedModelCount - before);
                // Still generating at the judge's last verdict: the engine is loaded then.
                if (e.type === "stage-progress" && e.stage === "judge") loadedAt.set("judge", LlamaEngine.loadedModelCount - before);
            }
        });
        expect(result.ran).toContain("distill");
        expect(loadedAt.get("judge")).toBe(1);
        expect(loadedAt.get("datasets")).toBe(0);
        expect(loadedAt.get("distill")).toBe(0);
        expect(LlamaEngine.loadedModelCount - before).toBe(0);
    }, 300_000);
});
