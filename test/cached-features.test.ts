import {afterAll, beforeAll, describe, expect, it} from "vitest";
import type {ChatMessage} from "../src/engine/engine.js";
import {loadChatTokenizer, type LoadedChatTokenizer} from "../src/engine/load-chat-tokenizer.js";
import {cachedFeatures} from "../src/gate/cached-features.js";
import type {GateFeatures} from "../src/gate/gate-features.js";
import {partialForwardFeatures, type PartialForwardFeatures} from "../src/gate/partial-forward-features.js";
import {userTurn} from "./helpers/tiny-gate.js";
import {tinyModel} from "./helpers/tiny-models.js";

// The feature cache over the product's feature source (block 0's state from the partial forward) of the tiny model,
// counting the extractions that reach it.
let tokenizer: LoadedChatTokenizer;
let real: PartialForwardFeatures;
let source: GateFeatures;
let calls = 0;

beforeAll(async () => {
    const modelPath = await tinyModel({});
    tokenizer = await loadChatTokenizer(modelPath);
    // Bounded as serve bounds it by its context size, so that a long prompt fails.
    real = await partialForwardFeatures({modelPath, tokenizer, device: "cpu", threads: 1, maxTokens: 64});
    source = {...real, extract: (messages: readonly ChatMessage[]) => (calls++, real.extract(messages))};
});
afterAll(async () => {
    real?.dispose();
    await tokenizer?.dispose();
});

describe("cachedFeatures", () => {
    it("computes a prompt's features once and returns what the source returns", async () => {
        const cached = cachedFeatures(source);
        calls = 0;
        const first = await cached.extract(userTurn("Review this plan."));
        first.fill(0); // a caller's changes must not reach the next caller
        const again = await cached.extract(userTurn("Review this plan."));
        expect(calls).toBe(1);
        expect(again).toEqual(await real.extract(userTurn("Review this plan.")));
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
