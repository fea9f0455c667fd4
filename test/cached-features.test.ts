import {afterAll, beforeAll, describe, expect, it} from "vitest";
import type {ChatMessage} from "../src/engine/engine.js";
import {LlamaEngine} from "../src/engine/llama-engine.js";
import {cachedFeatures} from "../src/gate/cached-features.js";
import type {GateFeatures} from "../src/gate/gate-features.js";
import {promptVectorFeatures} from "../src/gate/prompt-vector-features.js";
import {userTurn} from "./helpers/tiny-gate.js";
import {tinyModel} from "./helpers/tiny-models.js";

// The feature cache over the real prompt-vector source of the tiny model, counting the extractions that reach it.
let llama: LlamaEngine;
let source: GateFeatures;
let calls = 0;

beforeAll(async () => {
    llama = await LlamaEngine.load({model: await tinyModel({}), gpu: false, contextSize: 64, parallel: 1});
    const real = await promptVectorFeatures(llama);
    source = {...real, extract: (messages: readonly ChatMessage[]) => (calls++, real.extract(messages))};
});
afterAll(async () => {
    await llama?.dispose();
});

describe("cachedFeatures", () => {
    it("computes a prompt's features once and returns what the source returns", async () => {
        const cached = cachedFeatures(source);
        calls = 0;
        const first = await cached.extract(userTurn("Review this plan."));
        first.fill(0); // a caller's changes must not reach the next caller
        const again = await cached.extract(userTurn("Review this plan."));
        expect(calls).toBe(1);
        expect(again).toEqual(await llama.promptVector({messages: userTurn("Review this plan.")}));
        expect(cached.definition).toEqual(source.definition);
        expect(cached.modelFingerprint).toBe(source.modelFingerprint);
        await Promise.all([1, 2, 3].map(() => cached.extract(userTurn("Shared at once"))));
        expect(calls).toBe(2);
    });

    it("forgets the least recently used prompt beyond maxEntries, and never remembers a failure", async () => {
        const cached = cachedFeatures(source, {maxEntries: 2});
        calls = 0;
        for (const p of ["a", "b", "a", "c"]) await cached.extract(userTurn(p));
        expect(calls).toBe(3); // "a" was used again, so "b" went when "c" came
        await cached.extract(userTurn("a"));
        expect(calls).toBe(3);
        await cached.extract(userTurn("b"));
        expect(calls).toBe(4);
        const tooLong = userTurn("x ".repeat(200));
        await expect(cached.extract(tooLong)).rejects.toThrow(/context holds/);
        await expect(cached.extract(tooLong)).rejects.toThrow(/context holds/);
        expect(calls).toBe(6);
    });
});
