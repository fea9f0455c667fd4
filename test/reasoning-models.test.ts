import fs from "node:fs";
import path from "node:path";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import type {ObjectRequest, PrismEngine} from "../src/engine/engine.js";
import {SchemaGenerationError} from "../src/engine/engine-errors.js";
import {LlamaEngine} from "../src/engine/llama-engine.js";
import {wrapEngine} from "../src/engine/middleware.js";
import {objectFromGeneration} from "../src/engine/object-from-generation.js";
import {bootstrap} from "../src/pipeline/bootstrap.js";
import {PAIRWISE_SCHEMA} from "../src/prompts/pipeline-prompts.js";
import {standInModel} from "./helpers/llama-cpp/stand-in-models.js";
import {tempDir, tinyModel} from "./helpers/tiny-models.js";

// Reasoning models (the paper's DeepSeek-R1 distills) think before they answer. Their thinking must never be parsed
// as a persona, a query or a verdict. The thinking below holds a decoy of each, so a stage that parses it shows "DECOY".
const THOUGHT = 'Hmm. 1. What is the DECOY question? {"persona": "DECOY"} Verdict: B';

/**
 * A reasoning model, scripted: a real llama engine on a tiny model whose every text is preceded by thinking, as an
 * R1 distill writes it (its template opens `<think>` in the prompt, so free text starts inside the block; a
 * schema-constrained answer gets the whole block before its JSON).
 */
function thinkingEngine(engine: LlamaEngine, objectRequests: ObjectRequest[]): PrismEngine {
    return {
        ...wrapEngine({engine, middleware: []}),
        async generate(requests, options) {
            const results = await engine.generate(requests, options);
            return results.map((r) => ({...r, text: `${THOUGHT}\n</think>\n\n${r.text}`}));
        },
        async generateObject<T>(request: ObjectRequest) {
            objectRequests.push(request);
            const r = await engine.generateObject<T>(request);
            return objectFromGeneration<T>({text: `<think>${THOUGHT}</think>\n${r.text}`, finishReason: "stop", usage: r.usage, adapter: r.adapter}, request.schema);
        }
    };
}

let engine: LlamaEngine;
let model: string;
beforeAll(async () => {
    model = await tinyModel({arch: "llama", dim: 64, heads: 4, kvHeads: 2, layers: 2});
    engine = await LlamaEngine.load({model, gpu: false, threads: 1, contextSize: 2048});
});
afterAll(async () => {
    await engine?.dispose();
});

const readJsonl = (file: string) => fs.readFileSync(file, "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);

describe("reasoning models in the bootstrap", () => {
    it("personas, queries and verdicts are parsed from the answer after the thinking; the judge never sees thinking; every call gets the thinking budget", async () => {
        const out = path.join(tempDir("reasoning-bootstrap"), "run");
        const objectRequests: ObjectRequest[] = [];
        await bootstrap({
            model, out, engine: thinkingEngine(engine, objectRequests), threads: 1, domains: ["math", "coding"], queriesPerDomain: 2,
            personaLength: "short", answerMaxTokens: 24, queryMaxTokens: 32, judgeTemperature: 1, thinkingMaxTokens: 300,
            stages: ["personas", "queries", "answers", "judge"]
        });
        const personas = readJsonl(path.join(out, "personas.jsonl"));
        const queries = readJsonl(path.join(out, "queries.jsonl"));
        const answers = readJsonl(path.join(out, "answers.jsonl"));
        const verdicts = readJsonl(path.join(out, "verdicts.jsonl"));
        expect(personas).toHaveLength(2);
        expect(queries.length).toBeGreaterThan(0);
        for (const record of [...personas, ...queries]) expect(JSON.stringify(record)).not.toMatch(/DECOY|think>/);
        // Answers are kept as the model wrote them (the distilled data is the model's own behaviour); the judge reads them stripped.
        expect(answers.every((a) => String(a.text).includes("</think>"))).toBe(true);
        const judgePrompts = objectRequests.filter((r) => r.schema === PAIRWISE_SCHEMA).map((r) => JSON.stringify(r.messages));
        expect(judgePrompts).toHaveLength(2 * queries.length);
        for (const prompt of judgePrompts) expect(prompt).not.toMatch(/DECOY|think>/);
        expect(verdicts.map((v) => v.verdict).every((v) => v === "A" || v === "B" || v === "TIE")).toBe(true);
        expect(objectRequests.every((r) => r.thinkingMaxTokens === 300)).toBe(true);
    });
});

describe("the llama engine on a reasoning model's file", () => {
    it("knows the DeepSeek-R1 template thinks, and constrains schema output to thinking then JSON", async () => {
        const r1 = await standInModel({
            arch: "llama", layers: 1, dim: 64, heads: 4, kvHeads: 4, ff: 128, vocab: "llama-bpe", chatTemplate: "deepseek-ai-DeepSeek-R1-Distill-Llama-8B", seed: 21
        });
        await using reasoning = await LlamaEngine.load({model: r1, gpu: false, threads: 1, contextSize: 256});
        expect(reasoning.reasoning).toBe(true);
        expect(engine.reasoning).toBe(false);
        // A random model: either it closes its thinking and answers in JSON, or it is still thinking when the budget ends.
        const request = {messages: [{role: "user" as const, content: "A or B?"}], schema: PAIRWISE_SCHEMA, maxTokens: 8, thinkingMaxTokens: 24};
        const outcome = await reasoning.generateObject<string>(request).then((r) => r.object, (err: unknown) => err);
        if (outcome instanceof Error) {
            expect(outcome).toBeInstanceOf(SchemaGenerationError);
            expect(outcome.message).toMatch(/still thinking|maxTokens/);
        } else expect(["A", "B", "TIE"]).toContain(outcome);
    });
});
