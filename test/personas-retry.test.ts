import fs from "node:fs";
import path from "node:path";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import type {ObjectRequest, ObjectResult, PrismEngine} from "../src/engine/engine.js";
import {SchemaGenerationError} from "../src/engine/engine-errors.js";
import {LlamaEngine} from "../src/engine/llama-engine.js";
import {bootstrap} from "../src/pipeline/bootstrap.js";
import {itemSeed} from "../src/pipeline/item-seed.js";
import {tempDir, tinyModel} from "./helpers/tiny-models.js";

// The personas stage draws a persona again when a draw holds nothing to salvage (a small model spending its token
// budget on the whitespace JSON allows). The real llama engine writes every persona; a thin middleware in front of it
// turns chosen draws, by their seed, into such failures first.
let model: string;
let llama: LlamaEngine;
let dir: string;
beforeAll(async () => {
    model = await tinyModel({seed: 11});
    llama = await LlamaEngine.load({model, gpu: false, contextSize: 1024, parallel: 1});
    dir = tempDir("personas-retry");
});
afterAll(async () => {
    await llama?.dispose();
});

/** The llama engine, except that draws whose seed is in `failing` end as whitespace cut by the token budget. */
function failingDraws(failing: ReadonlySet<number>, seen: number[]): PrismEngine {
    return new Proxy(llama, {
        get(target, prop, receiver) {
            if (prop === "generateObject") {
                return async <T>(request: ObjectRequest): Promise<ObjectResult<T>> => {
                    seen.push(request.seed!);
                    if (failing.has(request.seed!))
                        throw new SchemaGenerationError(`maxTokens (${request.maxTokens}) cut the JSON before it was complete`, '{"persona":   ', {cutByLength: {inputTokens: 10, outputTokens: request.maxTokens!}});
                    return target.generateObject<T>(request);
                };
            }
            const value = Reflect.get(target, prop, receiver) as unknown;
            return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
        }
    });
}

const personasOf = (out: string) => fs.readFileSync(path.join(out, "personas.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as {domain: string, short: string});
const run = (out: string, engine: PrismEngine) => bootstrap({model, out, engine, domains: ["math", "coding"], seed: 3, stages: ["personas"], threads: 1, gpu: false, memoryCheck: false});

describe("the personas stage", () => {
    it("draws a persona again, with the next seed, when a draw holds nothing to salvage", async () => {
        const first = itemSeed(3, "personas", "math/short"), second = itemSeed(3, "personas", "math/short/attempt-2");
        const seen: number[] = [];
        await run(path.join(dir, "retried"), failingDraws(new Set([first]), seen));
        expect(seen.filter((s) => s === first || s === second)).toEqual([first, second]);
        // What the second draw wrote: the persona the engine gives for its seed, as an untouched run's other personas are.
        const clean: number[] = [];
        await run(path.join(dir, "clean"), failingDraws(new Set(), clean));
        const [retried, untouched] = [personasOf(path.join(dir, "retried")), personasOf(path.join(dir, "clean"))];
        expect(retried.find((p) => p.domain === "coding")).toEqual(untouched.find((p) => p.domain === "coding"));
        expect(clean).not.toContain(second);
        expect(retried.find((p) => p.domain === "math")!.short.length).toBeGreaterThan(0);
    });

    it("gives up after three draws with nothing to salvage, saying why", async () => {
        const seeds = [itemSeed(3, "personas", "math/short"), itemSeed(3, "personas", "math/short/attempt-2"), itemSeed(3, "personas", "math/short/attempt-3")];
        const seen: number[] = [];
        await expect(run(path.join(dir, "failed"), failingDraws(new Set(seeds), seen))).rejects.toThrow(/maxTokens \(\d+\) cut the JSON/);
        expect(seen.filter((s) => seeds.includes(s))).toEqual(seeds);
    });
});
