import {afterAll, beforeAll, describe, expect, it} from "vitest";
import type {ChatMessage, StreamPart} from "../src/engine/engine.js";
import {NoSuchAdapterError} from "../src/engine/engine-errors.js";
import {LlamaEngine} from "../src/engine/llama-engine.js";
import type {Gate} from "../src/gate/gate.js";
import {partialForwardFeatures, type PartialForwardFeatures} from "../src/gate/partial-forward-features.js";
import {createRouter} from "../src/gate/router.js";
import {trainGate} from "../src/gate/train-gate.js";
import {gatePrompts, knowledgePrompts, personaPrompts, userTurn} from "./helpers/tiny-gate.js";
import {tinyLora} from "./helpers/tiny-models.js";

// The router on real llama.cpp: a tiny random model (width 64, 2 layers) with a random LoRA adapter. Its text is
// noise, but base and adapter give different noise, so "the route taken" is visible in the output.
const user = userTurn;
const prompts = gatePrompts;
const maxTokens = 12;

let engine: LlamaEngine;
let features: PartialForwardFeatures;
let gate: Gate;
/** Each prompt's features, as a single user turn. */
const vectors = new Map<string, Float32Array>();
beforeAll(async () => {
    const {model, adapter} = await tinyLora({}, {});
    engine = await LlamaEngine.load({model, gpu: false, contextSize: 512, parallel: 4, adapters: [{name: "persona", path: adapter}]});
    // The product's features: block 0's state from the partial forward, on the prompt as the engine formats it.
    features = await partialForwardFeatures({modelPath: model, tokenizer: engine.chatTokenizer, threads: engine.threads, device: "cpu"});
    for (const p of prompts) vectors.set(p, await features.extract(user(p)));
    ({gate} = await trainGate({
        features: prompts.map((p) => vectors.get(p)!), labels: prompts.map((p) => (personaPrompts.includes(p) ? 1 : 0)), definition: features.definition,
        modelFingerprint: features.modelFingerprint, kind: "logreg", heldOutIndices: [0, 1, 6, 7], seed: 1
    }));
});
afterAll(async () => {
    features?.dispose();
    await engine?.dispose();
});

async function baseAndAdapterTexts(messages: ChatMessage[]): Promise<{base: string, adapter: string}> {
    const [base, adapter] = await engine.generate([{messages, maxTokens, adapter: null}, {messages, maxTokens, adapter: "persona"}]);
    return {base: base!.text, adapter: adapter!.text};
}

describe("createRouter on the llama engine", () => {
    it("takes the route the gate decides, and answers exactly as the engine does on that route", async () => {
        const router = createRouter({engine, adapter: "persona", gate, features});
        const routes = new Set<string | null>();
        let differing = 0;
        for (const p of prompts) {
            const expected = gate.decide(vectors.get(p)!);
            const result = await router.generate(user(p), {maxTokens});
            const texts = await baseAndAdapterTexts(user(p));
            expect(result.route).toEqual({adapter: expected.useAdapter ? "persona" : null, score: expected.score, reason: "gate"});
            expect(result.adapter).toBe(result.route.adapter);
            expect(result.text).toBe(result.route.adapter ? texts.adapter : texts.base);
            routes.add(result.route.adapter);
            if (texts.base !== texts.adapter) differing++;
        }
        expect([...routes].sort()).toEqual([null, "persona"].sort());
        expect(differing).toBeGreaterThan(0);
    });

    it("forced to 1 or 0 (explicitly or by an infinite threshold) gives exactly the adapter or the base", async () => {
        const forced = {
            adapter: [createRouter({engine, adapter: "persona", gate, features, force: "adapter"}), createRouter({engine, adapter: "persona", gate: gate.withThreshold(-Infinity), features})],
            base: [createRouter({engine, adapter: "persona", gate, features, force: "base"}), createRouter({engine, adapter: "persona", gate: gate.withThreshold(Infinity), features})]
        };
        for (const p of [personaPrompts[2]!, knowledgePrompts[3]!]) {
            const texts = await baseAndAdapterTexts(user(p));
            for (const router of forced.adapter) expect((await router.generate(user(p), {maxTokens})).text).toBe(texts.adapter);
            for (const router of forced.base) expect((await router.generate(user(p), {maxTokens})).text).toBe(texts.base);
        }
    });

    it("streams the route first, then the same text as generate", async () => {
        const router = createRouter({engine, adapter: "persona", gate, features});
        for (const p of [personaPrompts[0]!, knowledgePrompts[0]!]) {
            const parts: StreamPart[] = [];
            for await (const part of router.stream(user(p), {maxTokens})) parts.push(part);
            const generated = await router.generate(user(p), {maxTokens});
            expect(parts[0]).toEqual({type: "route", route: generated.route});
            expect(parts.flatMap((x) => (x.type === "text-delta" ? [x.delta] : [])).join("")).toBe(generated.text);
            expect(parts.at(-1)).toMatchObject({type: "finish", adapter: generated.route.adapter});
        }
    });

    it("first-turn: a later turn keeps the first turn's route; per-turn decides on the whole conversation", async () => {
        for (const wantAdapter of [true, false]) {
            const first = prompts.find((p) => gate.decide(vectors.get(p)!).useAdapter === wantAdapter)!;
            const conversation: ChatMessage[] = [...user(first), {role: "assistant", content: "Sure."}, ...user(knowledgePrompts[1]!)];
            const texts = await baseAndAdapterTexts(conversation);
            const firstDecision = gate.decide(vectors.get(first)!);
            const firstTurn = await createRouter({engine, adapter: "persona", gate, features}).generate(conversation, {maxTokens});
            expect(firstTurn.route).toEqual({adapter: wantAdapter ? "persona" : null, score: firstDecision.score, reason: "reused"});
            expect(firstTurn.text).toBe(firstTurn.route.adapter ? texts.adapter : texts.base);
            const wholeDecision = gate.decide(await features.extract(conversation));
            const perTurn = await createRouter({engine, adapter: "persona", gate, features, policy: "per-turn"}).generate(conversation, {maxTokens});
            expect(perTurn.route).toEqual({adapter: wholeDecision.useAdapter ? "persona" : null, score: wholeDecision.score, reason: "gate"});
            expect(perTurn.text).toBe(perTurn.route.adapter ? texts.adapter : texts.base);
        }
    });

    it("router.engine routes each request of a batch, and scoring, on its own", async () => {
        const router = createRouter({engine, adapter: "persona", gate, features});
        const routes = prompts.map((p) => (gate.decide(vectors.get(p)!).useAdapter ? "persona" : null));
        const batched = await router.engine.generate(prompts.map((p) => ({messages: user(p), maxTokens})));
        const direct = await engine.generate(prompts.map((p, i) => ({messages: user(p), maxTokens, adapter: routes[i]})));
        expect(batched.map((r) => r.route?.adapter)).toEqual(routes);
        expect(batched.map((r) => r.text)).toEqual(direct.map((r) => r.text));
        for (const p of [prompts.find((q, i) => routes[i] === "persona")!, prompts.find((q, i) => routes[i] === null)!]) {
            const request = {messages: user(p), continuations: [" yes", " no"]};
            const expected = await engine.scoreContinuations({...request, adapter: routes[prompts.indexOf(p)]});
            expect(await router.engine.scoreContinuations(request)).toEqual(expected);
        }
    });

    it("refuses an adapter the engine does not have", () => {
        expect(() => createRouter({engine, adapter: "nope", gate, features})).toThrow(NoSuchAdapterError);
    });
});
