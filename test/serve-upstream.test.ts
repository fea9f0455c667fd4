import OpenAI from "openai";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import type {ChatMessage} from "../src/engine/engine.js";
import {LlamaEngine} from "../src/engine/llama-engine.js";
import type {Gate} from "../src/gate/gate.js";
import type {PartialForwardFeatures} from "../src/gate/partial-forward-features.js";
import {createRouter} from "../src/gate/router.js";
import {OpenAIServer} from "../src/serve/openai-server.js";
import {apiRoot, openUpstreamEngine, type UpstreamEngine} from "../src/serve/upstream-engine.js";
import {PrismError} from "../src/util/prism-error.js";
import {memoryAccessLog} from "./helpers/serve-helpers.js";
import {engineGateFeatures, gatePrompts, trainTinyGate, userTurn} from "./helpers/tiny-gate.js";
import {tinyLora} from "./helpers/tiny-models.js";

// --upstream: a second prism server on loopback plays the vLLM / llama-server upstream, serving the base model as
// "tiny-base" and the adapter as "tiny-persona". The front server runs the gate on its own copy of the GGUF model and
// forwards generation; the upstream's access log shows which model name each request arrived under.
const UPSTREAM_KEY = "sk-upstream";
const maxTokens = 8;

let upstreamLlama: LlamaEngine;
let upstream: OpenAIServer;
const upstreamLog = memoryAccessLog();
let localLlama: LlamaEngine;
let features: PartialForwardFeatures;
let gate: Gate;
let remote: UpstreamEngine;
let front: OpenAIServer;
let client: OpenAI;

beforeAll(async () => {
    const {model, adapter} = await tinyLora({}, {});
    upstreamLlama = await LlamaEngine.load({model, gpu: false, contextSize: 512, parallel: 2, adapters: [{name: "tiny-persona", path: adapter}]});
    upstream = await OpenAIServer.start({engine: upstreamLlama, modelName: "tiny-base", port: 0, apiKey: UPSTREAM_KEY, accessLog: upstreamLog});
    // The front's gate runs locally: its own engine on the same GGUF, for features only (no adapter needed).
    localLlama = await LlamaEngine.load({model, gpu: false, contextSize: 512, parallel: 1});
    features = await engineGateFeatures(localLlama);
    gate = await trainTinyGate(features);
    remote = await openUpstreamEngine({url: upstream.url, adapter: {name: "persona", model: "tiny-persona"}, apiKey: UPSTREAM_KEY});
    const router = createRouter({engine: remote.engine, adapter: "persona", gate, features});
    front = await OpenAIServer.start({engine: remote.engine, modelName: "prism", routing: {adapter: "persona", decide: router.decide}, port: 0});
    client = new OpenAI({baseURL: `${front.url}/v1`, apiKey: "unused", maxRetries: 0});
});
afterAll(async () => {
    await front?.shutdown();
    await remote?.engine.dispose();
    await upstream?.shutdown();
    features?.dispose();
    await localLlama?.dispose();
    await upstreamLlama?.dispose();
});

async function upstreamText(messages: ChatMessage[], adapter: string | null): Promise<string> {
    const [r] = await upstreamLlama.generate([{messages, adapter, maxTokens}]);
    return r!.text;
}

/** The model name the upstream received for the request that just finished. */
async function lastUpstreamModel(before: number): Promise<string | null> {
    await expect.poll(() => upstreamLog.entries.length).toBe(before + 1);
    return upstreamLog.entries.at(-1)!.model;
}

describe("prism serve --upstream", () => {
    it("finds the base model's name on the upstream and checks the adapter's", () => {
        expect(remote.baseURL).toBe(`${upstream.url}/v1`);
        expect(remote.baseModel).toBe("tiny-base");
        expect(remote.adapterModel).toBe("tiny-persona");
        expect(remote.upstreamModels).toEqual(["tiny-base", "tiny-persona"]);
    });

    it("routes locally and forwards to the upstream under the route's model name, streamed or not", async () => {
        const received = new Set<string | null>();
        for (const [i, p] of gatePrompts.entries()) {
            const {useAdapter, score} = gate.decide(await features.extract(userTurn(p)));
            const expectedModel = useAdapter ? "tiny-persona" : "tiny-base";
            const before = upstreamLog.entries.length;
            let text = "", prism: unknown;
            if (i % 2 === 0) {
                const completion = await client.chat.completions.create({model: "prism", messages: userTurn(p), max_tokens: maxTokens});
                text = completion.choices[0]!.message.content!;
                prism = (completion as unknown as {prism: unknown}).prism;
            } else {
                for await (const chunk of await client.chat.completions.create({model: "prism", messages: userTurn(p), max_tokens: maxTokens, stream: true})) {
                    prism ??= (chunk as unknown as {prism?: unknown}).prism;
                    text += chunk.choices[0]?.delta.content ?? "";
                }
            }
            expect(prism).toEqual({route: useAdapter ? "adapter" : "base", adapter: useAdapter ? "persona" : null, gate_score: score, reason: "gate"});
            expect(await lastUpstreamModel(before)).toBe(expectedModel);
            expect(upstreamLog.entries.at(-1)!.stream).toBe(i % 2 === 1);
            expect(text).toBe(await upstreamText(userTurn(p), useAdapter ? "tiny-persona" : null));
            received.add(upstreamLog.entries.at(-1)!.model);
        }
        expect([...received].sort()).toEqual(["tiny-base", "tiny-persona"]);
    });

    it("sends explicit base and adapter requests under the upstream's names", async () => {
        for (const [model, upstreamModel] of [["base", "tiny-base"], ["adapter", "tiny-persona"], ["persona", "tiny-persona"]] as const) {
            const before = upstreamLog.entries.length;
            const completion = await client.chat.completions.create({model, messages: userTurn(gatePrompts[0]!), max_tokens: maxTokens});
            expect(await lastUpstreamModel(before)).toBe(upstreamModel);
            expect(completion.choices[0]!.message.content).toBe(await upstreamText(userTurn(gatePrompts[0]!), upstreamModel === "tiny-base" ? null : "tiny-persona"));
        }
    });

    it("refuses at startup an adapter name the upstream lacks, a wrong key, and an unreachable upstream", async () => {
        const errorOf = (p: Promise<unknown>) => p.then(() => null, (e: unknown) => e);
        const missing = await errorOf(openUpstreamEngine({url: `${upstream.url}/v1`, adapter: {name: "persona"}, apiKey: UPSTREAM_KEY}));
        expect(PrismError.isInstance(missing) && missing.exitCode).toBe(2);
        expect((missing as Error).message).toMatch(/no model "persona" \(it lists: tiny-base, tiny-persona\)/);
        const badKey = await errorOf(openUpstreamEngine({url: upstream.url, apiKey: "sk-wrong"}));
        expect((badKey as Error).message).toMatch(/refused the API key \(401\)/);
        const down = await errorOf(openUpstreamEngine({url: "http://127.0.0.1:9/v1", checkTimeoutMs: 2000}));
        expect(PrismError.isInstance(down) && down.code).toBe("E_UPSTREAM");
        expect(apiRoot("http://h:8000/")).toBe("http://h:8000/v1");
        expect(apiRoot("http://h:11434/v1/")).toBe("http://h:11434/v1");
        expect(() => apiRoot("h:8000")).toThrow(/only http and https/);
    });
});
