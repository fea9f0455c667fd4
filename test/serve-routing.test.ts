import OpenAI from "openai";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {collectStream} from "../src/engine/collect-stream.js";
import type {ChatMessage} from "../src/engine/engine.js";
import {LlamaEngine} from "../src/engine/llama-engine.js";
import {OpenAIEngine} from "../src/engine/openai-engine.js";
import type {Gate} from "../src/gate/gate.js";
import type {PartialForwardFeatures} from "../src/gate/partial-forward-features.js";
import {createRouter} from "../src/gate/router.js";
import {OpenAIServer} from "../src/serve/openai-server.js";
import {memoryAccessLog, metricValue} from "./helpers/serve-helpers.js";
import {engineGateFeatures, gatePrompts, trainTinyGate, userTurn} from "./helpers/tiny-gate.js";
import {tinyLora} from "./helpers/tiny-models.js";

// prism serve's routing on a real server on loopback: the tiny llama model with a random adapter, a gate trained on
// the product's features (block 0's state from the partial forward, as `prism serve` computes them), and the official openai client. The model's text is noise, but base and
// adapter write different noise, so the text shows which model answered.
const API_KEY = "sk-prism-test";
const maxTokens = 10;

let llama: LlamaEngine;
let features: PartialForwardFeatures;
let gate: Gate;
let server: OpenAIServer;
let client: OpenAI;
const log = memoryAccessLog();

beforeAll(async () => {
    const {model, adapter} = await tinyLora({}, {});
    llama = await LlamaEngine.load({model, gpu: false, contextSize: 512, parallel: 2, adapters: [{name: "persona", path: adapter}]});
    features = await engineGateFeatures(llama);
    gate = await trainTinyGate(features);
    const router = createRouter({engine: llama, adapter: "persona", gate, features});
    server = await OpenAIServer.start({
        engine: llama, modelName: "prism", routing: {adapter: "persona", decide: router.decide}, port: 0, apiKey: API_KEY,
        accessLog: log, detokenize: (t) => llama.chatTokenizer.detokenize(t)
    });
    client = new OpenAI({baseURL: `${server.url}/v1`, apiKey: API_KEY, maxRetries: 0});
});
afterAll(async () => {
    await server?.shutdown();
    features?.dispose();
    await llama?.dispose();
});

/** What the gate decides for a prompt, straight from the gate. */
async function expectedRoute(messages: ChatMessage[]) {
    const {useAdapter, score} = gate.decide(await features.extract(messages));
    return {adapter: useAdapter ? "persona" : null, score};
}

async function directText(messages: ChatMessage[], adapter: string | null, max = maxTokens): Promise<string> {
    const [r] = await llama.generate([{messages, adapter, maxTokens: max}]);
    return r!.text;
}

describe("prism serve through the official openai client", () => {
    it("routes each request as the gate decides; the route is in headers and the prism field, and the text is that model's", async () => {
        const routes = new Set<string>();
        for (const p of gatePrompts) {
            const expected = await expectedRoute(userTurn(p));
            const {data, response} = await client.chat.completions.create({model: "prism", messages: userTurn(p), max_tokens: maxTokens}).withResponse();
            const route = expected.adapter ? "adapter" : "base";
            expect((data as unknown as {prism: unknown}).prism).toEqual({route, adapter: expected.adapter, gate_score: expected.score, reason: "gate"});
            expect(response.headers.get("x-prism-route")).toBe(route);
            expect(Number(response.headers.get("x-prism-gate-score"))).toBe(expected.score);
            expect(response.headers.get("x-prism-route-reason")).toBe("gate");
            expect(data.choices[0]!.message.content).toBe(await directText(userTurn(p), expected.adapter));
            expect(data.usage?.completion_tokens).toBeLessThanOrEqual(maxTokens);
            routes.add(route);
        }
        expect([...routes].sort()).toEqual(["adapter", "base"]);
    });

    it("streams: the first chunk carries the route, the deltas make that model's text, the last chunk has usage", async () => {
        for (const p of gatePrompts.slice(0, 6)) {
            const expected = await expectedRoute(userTurn(p));
            const {data: stream, response} = await client.chat.completions.create({model: "prism", messages: userTurn(p), max_tokens: maxTokens, stream: true}).withResponse();
            const chunks = [];
            for await (const chunk of stream) chunks.push(chunk);
            expect(response.headers.get("x-prism-route")).toBe(expected.adapter ? "adapter" : "base");
            expect((chunks[0] as unknown as {prism: unknown}).prism).toEqual({route: expected.adapter ? "adapter" : "base", adapter: expected.adapter, gate_score: expected.score, reason: "gate"});
            expect(chunks.map((c) => c.choices[0]?.delta.content ?? "").join("")).toBe(await directText(userTurn(p), expected.adapter));
            expect(chunks.at(-1)!.choices[0]!.finish_reason).toMatch(/^(stop|length)$/);
            expect(chunks.at(-1)!.usage?.completion_tokens).toBeGreaterThan(0);
        }
    });

    it("model base, adapter or the adapter's name bypasses the gate", async () => {
        const p = gatePrompts[0]!;
        for (const [model, adapter] of [["base", null], ["adapter", "persona"], ["persona", "persona"]] as const) {
            const {data, response} = await client.chat.completions.create({model, messages: userTurn(p), max_tokens: maxTokens}).withResponse();
            expect((data as unknown as {prism: unknown}).prism).toEqual({route: adapter ? "adapter" : "base", adapter, gate_score: null, reason: "explicit"});
            expect(response.headers.get("x-prism-gate-score")).toBeNull();
            expect(data.choices[0]!.message.content).toBe(await directText(userTurn(p), adapter));
        }
        expect((await client.models.list()).data.map((m) => m.id)).toEqual(["prism", "base", "adapter", "persona"]);
    });

    it("first-turn policy: a later turn reuses the first turn's decision", async () => {
        const first = gatePrompts[5]!;
        const conversation: ChatMessage[] = [...userTurn(first), {role: "assistant", content: "Sure."}, ...userTurn("And then?")];
        const expected = await expectedRoute(userTurn(first));
        const data = await client.chat.completions.create({model: "prism", messages: conversation, max_tokens: maxTokens});
        expect((data as unknown as {prism: unknown}).prism).toEqual({route: expected.adapter ? "adapter" : "base", adapter: expected.adapter, gate_score: expected.score, reason: "reused"});
        expect(data.choices[0]!.message.content).toBe(await directText(conversation, expected.adapter));
    });
});

describe("prism serve embeddings", () => {
    it("returns the base model's prompt vectors to the openai client (base64, its default) and as floats", async () => {
        const want = Array.from(await llama.promptVector({messages: userTurn("Hello")}));
        const viaClient = await client.embeddings.create({model: "prism", input: ["Hello", "Bye"]});
        expect(viaClient.data[0]!.embedding).toEqual(want);
        expect(viaClient.data[1]!.embedding).toHaveLength(want.length);
        const floats = await client.embeddings.create({model: "base", input: "Hello", encoding_format: "float"});
        expect(floats.data[0]!.embedding).toEqual(want);
        await expect(client.embeddings.create({model: "adapter", input: "Hello"})).rejects.toBeInstanceOf(OpenAI.BadRequestError);
    });
});

describe("prism serve through prism's OpenAIEngine", () => {
    it("generates and streams the routed texts; adapters map to the server's names", async () => {
        const remote = new OpenAIEngine({baseURL: `${server.url}/v1`, model: "prism", apiKey: API_KEY, adapters: {persona: "adapter"}, maxRetries: 0});
        try {
            for (const p of gatePrompts.slice(4, 10)) {
                const expected = await expectedRoute(userTurn(p));
                const want = await directText(userTurn(p), expected.adapter);
                const [generated] = await remote.generate([{messages: userTurn(p), maxTokens}]);
                expect(generated!.text).toBe(want);
                expect((await collectStream(remote.stream({messages: userTurn(p), maxTokens}))).text).toBe(want);
            }
            const [routed, persona] = await remote.generate([{messages: userTurn(gatePrompts[1]!), maxTokens, adapter: null}, {messages: userTurn(gatePrompts[1]!), maxTokens, adapter: "persona"}]);
            // No adapter asks for the client's model ("prism"), which the gate routes; "persona" maps to the server's "adapter".
            expect(routed!.text).toBe(await directText(userTurn(gatePrompts[1]!), (await expectedRoute(userTurn(gatePrompts[1]!))).adapter));
            expect(persona!.text).toBe(await directText(userTurn(gatePrompts[1]!), "persona"));
        } finally {
            await remote.dispose();
        }
    });
});

describe("prism serve: keys, errors and observability", () => {
    it("answers 401 without the right key on every route but /health", async () => {
        const wrong = new OpenAI({baseURL: `${server.url}/v1`, apiKey: "sk-wrong", maxRetries: 0});
        const err = await wrong.chat.completions.create({model: "prism", messages: userTurn("hi"), max_tokens: 2}).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(OpenAI.AuthenticationError);
        expect((err as InstanceType<typeof OpenAI.AuthenticationError>).code).toBe("invalid_api_key");
        await expect(wrong.models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
        for (const path of ["/v1/models", "/metrics", "/v1/chat/completions", "/v1/embeddings", "/nowhere"]) {
            const res = await fetch(`${server.url}${path}`, {method: path.startsWith("/v1/c") || path.startsWith("/v1/e") ? "POST" : "GET", body: path.startsWith("/v1/c") ? "{}" : undefined});
            expect(res.status, path).toBe(401);
            expect(res.headers.get("www-authenticate")).toBe("Bearer");
            expect((await res.json() as {error: {type: string}}).error.type).toBe("authentication_error");
        }
        expect((await fetch(`${server.url}/health`)).status).toBe(200);
    });

    it("answers unknown models, oversized and malformed bodies with OpenAI errors, and keeps serving", async () => {
        const notFound = await client.chat.completions.create({model: "gpt-9", messages: userTurn("x")}).catch((e: unknown) => e);
        expect(notFound).toBeInstanceOf(OpenAI.NotFoundError);
        expect((notFound as InstanceType<typeof OpenAI.NotFoundError>).code).toBe("model_not_found");

        const huge = await client.chat.completions.create({model: "prism", messages: userTurn("x".repeat(1_100_000)), max_tokens: 2}).catch((e: unknown) => e);
        expect(huge).toBeInstanceOf(OpenAI.APIError);
        expect([(huge as InstanceType<typeof OpenAI.APIError>).status, (huge as InstanceType<typeof OpenAI.APIError>).code]).toEqual([413, "request_too_large"]);

        const invalid = await client.chat.completions.create({model: "prism", messages: [{role: "robot", content: "x"}] as never}).catch((e: unknown) => e);
        expect(invalid).toBeInstanceOf(OpenAI.BadRequestError);
        expect((invalid as InstanceType<typeof OpenAI.BadRequestError>).param).toBe("messages.0.role");

        const post = (body: string, contentType = "application/json") => fetch(`${server.url}/v1/chat/completions`, {
            method: "POST", body, headers: {"content-type": contentType, authorization: `Bearer ${API_KEY}`}
        });
        for (const [res, status, code] of [[await post("{\"model\": \"prism\", "), 400, "invalid_json"], [await post(""), 400, "invalid_json"], [await post("[1, 2]"), 400, "invalid_value"],
            [await post("model=prism", "application/x-www-form-urlencoded"), 415, "unsupported_media_type"]] as const) {
            expect(res.status).toBe(status);
            expect((await res.json() as {error: {code: string}}).error.code).toBe(code);
        }
        expect((await post("{}", "text/plain").then((r) => r.json()) as {error: {message: string}}).error.message).toMatch(/must be JSON: send 'Content-Type: application\/json' \(got "text\/plain"\)/);

        const after = await client.chat.completions.create({model: "prism", messages: userTurn(gatePrompts[2]!), max_tokens: 3});
        expect(after.choices[0]!.message.content!.length).toBeGreaterThan(0);
    });

    it("writes one access-log line per request, and /metrics counts requests, routes, tokens and gate time", async () => {
        const before = log.entries.length;
        const id = "test-request-42";
        const {response} = await client.chat.completions.create({model: "prism", messages: userTurn(gatePrompts[3]!), max_tokens: 4}, {headers: {"x-request-id": id}}).withResponse();
        expect(response.headers.get("x-request-id")).toBe(id);
        const expected = await expectedRoute(userTurn(gatePrompts[3]!));
        expect(log.entries.length).toBe(before + 1);
        expect(log.entries.at(-1)).toMatchObject({
            id, method: "POST", path: "/v1/chat/completions", status: 200, model: "prism", route: expected.adapter ? "adapter" : "base",
            adapter: expected.adapter, gate_score: expected.score, reason: "gate", stream: false, completion_tokens: 4, finish_reason: "length", error: null
        });
        const line = log.entries.at(-1)!;
        expect(line.prompt_tokens).toBeGreaterThan(0);
        expect(line.gate_ms).toBeGreaterThan(0);
        expect(line.latency_ms).toBeGreaterThanOrEqual(line.gate_ms! + line.queue_wait_ms!);

        const text = await (await fetch(`${server.url}/metrics`, {headers: {authorization: `Bearer ${API_KEY}`}})).text();
        const logged = log.entries.filter((e) => e.path === "/v1/chat/completions");
        expect(metricValue(text, "prism_http_requests_total", {path: "/v1/chat/completions"})).toBe(logged.length);
        expect(metricValue(text, "prism_http_requests_total", {path: "/v1/chat/completions", status: "413"})).toBe(1);
        const routed = logged.filter((e) => e.route !== null);
        expect(metricValue(text, "prism_routes_total")).toBe(routed.length);
        expect(metricValue(text, "prism_routes_total", {route: "adapter", reason: "gate"})).toBe(routed.filter((e) => e.route === "adapter" && e.reason === "gate").length);
        expect(metricValue(text, "prism_gate_duration_seconds_count")).toBe(routed.filter((e) => e.reason !== "explicit").length);
        expect(metricValue(text, "prism_tokens_total", {kind: "completion"})).toBe(logged.reduce((n, e) => n + (e.completion_tokens ?? 0), 0));
        expect(metricValue(text, "prism_active_requests")).toBe(0);
        expect(text).toMatch(/^process_cpu_user_seconds_total /m);
    });
});
