import OpenAI from "openai";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import type {PrismEngine, StreamPart} from "../src/engine/engine.js";
import {LlamaEngine} from "../src/engine/llama-engine.js";
import {createRouter} from "../src/gate/router.js";
import {OpenAIServer} from "../src/serve/openai-server.js";
import {memoryAccessLog, metricValue} from "./helpers/serve-helpers.js";
import {engineGateFeatures, gatePrompts, trainTinyGate, userTurn} from "./helpers/tiny-gate.js";
import {tinyLora} from "./helpers/tiny-models.js";

// A bounded load test on loopback: 60 requests at once (half streamed) through the official openai client against a
// routed server that generates 2 at a time. None may fail; the rest must have queued, and /metrics must show it.
const REQUESTS = 60;
const MAX_CONCURRENT = 2;

let llama: LlamaEngine;
/** The engine with a count of generations running at once. */
let counted: PrismEngine;
let peakGenerations = 0;

beforeAll(async () => {
    const {model, adapter} = await tinyLora({}, {});
    llama = await LlamaEngine.load({model, gpu: false, contextSize: 2048, parallel: 2, adapters: [{name: "persona", path: adapter}]});
    let running = 0;
    const enter = () => {
        running++;
        peakGenerations = Math.max(peakGenerations, running);
    };
    counted = new Proxy(llama, {
        get(target, prop) {
            if (prop === "generate") {
                return async (...args: Parameters<PrismEngine["generate"]>) => {
                    enter();
                    try {
                        return await target.generate(...args);
                    } finally {
                        running--;
                    }
                };
            }
            if (prop === "stream") {
                return (request: Parameters<PrismEngine["stream"]>[0]) => (async function* (): AsyncGenerator<StreamPart> {
                    enter();
                    try {
                        yield* target.stream(request);
                    } finally {
                        running--;
                    }
                })();
            }
            const value: unknown = Reflect.get(target, prop, target);
            return typeof value === "function" ? value.bind(target) : value;
        }
    });
});
afterAll(async () => {
    await llama?.dispose();
});

describe("prism serve under load", () => {
    it(`answers ${REQUESTS} concurrent requests with no failure, ${MAX_CONCURRENT} at a time, the rest queued in /metrics`, async () => {
        const features = await engineGateFeatures(llama);
        const router = createRouter({engine: llama, adapter: "persona", gate: await trainTinyGate(features), features});
        const log = memoryAccessLog();
        const server = await OpenAIServer.start({engine: counted, modelName: "prism", routing: {adapter: "persona", decide: router.decide}, port: 0, maxConcurrent: MAX_CONCURRENT, maxQueue: 100, accessLog: log});
        try {
            const client = new OpenAI({baseURL: `${server.url}/v1`, apiKey: "unused", maxRetries: 0, timeout: 60_000});
            const one = async (i: number): Promise<{text: string, route: string}> => {
                const request = {model: "prism", messages: userTurn(gatePrompts[i % gatePrompts.length]!), max_tokens: 16};
                if (i % 2 === 0) {
                    const completion = await client.chat.completions.create(request);
                    return {text: completion.choices[0]!.message.content!, route: (completion as unknown as {prism: {route: string}}).prism.route};
                }
                let text = "", route = "";
                for await (const chunk of await client.chat.completions.create({...request, stream: true})) {
                    route ||= (chunk as unknown as {prism?: {route: string}}).prism?.route ?? "";
                    text += chunk.choices[0]?.delta.content ?? "";
                }
                return {text, route};
            };
            const results = await Promise.allSettled(Array.from({length: REQUESTS}, (_, i) => one(i)));
            const failures = results.filter((r) => r.status === "rejected");
            expect(failures.map((f) => String((f as PromiseRejectedResult).reason))).toEqual([]);
            // The same prompt gets the same route and (greedy decoding) the same text, streamed or not, however busy the server.
            const byPrompt = new Map<number, string>();
            for (const [i, r] of results.entries()) {
                const {text, route} = (r as PromiseFulfilledResult<{text: string, route: string}>).value;
                expect(["base", "adapter"]).toContain(route);
                const key = `${route}:${text}`;
                const p = i % gatePrompts.length;
                if (byPrompt.has(p)) expect(key).toBe(byPrompt.get(p));
                else byPrompt.set(p, key);
            }

            expect(peakGenerations).toBe(MAX_CONCURRENT);
            const metrics = await (await fetch(`${server.url}/metrics`)).text();
            expect(metricValue(metrics, "prism_http_requests_total", {path: "/v1/chat/completions", status: "200"})).toBe(REQUESTS);
            expect(metricValue(metrics, "prism_queue_depth_max")).toBeGreaterThan(0);
            expect(metricValue(metrics, "prism_queue_depth_max")).toBeLessThanOrEqual(REQUESTS - MAX_CONCURRENT);
            expect(metricValue(metrics, "prism_queue_wait_seconds_count")).toBe(REQUESTS);
            expect(metricValue(metrics, "prism_queue_wait_seconds_sum")).toBeGreaterThan(0);
            expect(metricValue(metrics, "prism_queue_depth")).toBe(0);
            expect(metricValue(metrics, "prism_active_requests")).toBe(0);
            expect(metricValue(metrics, "prism_routes_total")).toBe(REQUESTS);
            expect(log.entries.filter((e) => e.status === 200 && e.queue_wait_ms! > 1)).not.toHaveLength(0);
        } finally {
            await server.shutdown();
            features.dispose();
        }
    });

    it("beyond the queue: 429 queue_full at once, 503 queue_timeout after the wait, both with Retry-After", async () => {
        const server = await OpenAIServer.start({engine: llama, modelName: "tiny", port: 0, maxConcurrent: 1, maxQueue: 1, queueTimeoutMs: 300});
        try {
            const client = new OpenAI({baseURL: `${server.url}/v1`, apiKey: "unused", maxRetries: 0});
            // Long enough to hold the only slot throughout (the adapter writes 2000 tokens for this prompt, about 3 s).
            const controller = new AbortController();
            const holder = client.chat.completions.create({model: "persona", messages: userTurn("Hello there"), max_tokens: 2000}, {signal: controller.signal}).catch((e: unknown) => e);
            await expect.poll(async () => metricValue(await (await fetch(`${server.url}/metrics`)).text(), "prism_active_requests")).toBe(1);
            const waiting = client.chat.completions.create({model: "tiny", messages: userTurn("hi"), max_tokens: 2}).catch((e: unknown) => e);
            await expect.poll(async () => metricValue(await (await fetch(`${server.url}/metrics`)).text(), "prism_queue_depth")).toBe(1);
            const full = await client.chat.completions.create({model: "tiny", messages: userTurn("hi"), max_tokens: 2}).catch((e: unknown) => e);
            expect(full).toBeInstanceOf(OpenAI.RateLimitError);
            expect((full as InstanceType<typeof OpenAI.RateLimitError>).code).toBe("queue_full");
            expect((full as InstanceType<typeof OpenAI.RateLimitError>).headers?.get("retry-after")).toBe("1");
            const timedOut = await waiting;
            expect(timedOut).toBeInstanceOf(OpenAI.InternalServerError);
            expect([(timedOut as InstanceType<typeof OpenAI.APIError>).status, (timedOut as InstanceType<typeof OpenAI.APIError>).code]).toEqual([503, "queue_timeout"]);
            controller.abort();
            await holder;
            const after = await client.chat.completions.create({model: "tiny", messages: userTurn("hi"), max_tokens: 2});
            expect(after.usage?.completion_tokens).toBe(2);
        } finally {
            await server.shutdown();
        }
    });
});
