import http from "node:http";
import type {AddressInfo} from "node:net";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {collectStream} from "../src/engine/collect-stream.js";
import type {ChatMessage, StreamPart} from "../src/engine/engine.js";
import {LlamaEngine} from "../src/engine/llama-engine.js";
import {OpenAIEngine} from "../src/engine/openai-engine.js";
import {UnsupportedFeatureError} from "../src/engine/unsupported-feature-error.js";
import {OpenAIServer} from "../src/serve/openai-server.js";
import {PrismError} from "../src/util/prism-error.js";
import {tinyLora} from "./helpers/tiny-models.js";

// The OpenAI engine against prism's own OpenAI-compatible server on loopback, backed by the llama engine.
const user = (content: string): ChatMessage[] => [{role: "user", content}];
const prompts = ["Hello there", "What is the capital of France?", "Write a haiku about rain."];

let llama: LlamaEngine;
let server: OpenAIServer;
let client: OpenAIEngine;
beforeAll(async () => {
    const {model, adapter} = await tinyLora({}, {});
    llama = await LlamaEngine.load({model, gpu: false, contextSize: 512, parallel: 4, adapters: [{name: "persona", path: adapter}]});
    server = await OpenAIServer.start({engine: llama, modelName: "tiny", port: 0, detokenize: (t) => llama.chatTokenizer.detokenize(t)});
    client = new OpenAIEngine({baseURL: `${server.url}/v1`, model: "tiny", adapters: {persona: "persona"}, maxRetries: 0});
});
afterAll(async () => {
    await client?.dispose();
    await server?.close();
    await llama?.dispose();
});

const post = (path: string, body: unknown) => fetch(`${server.url}${path}`, {method: "POST", headers: {"content-type": "application/json"}, body: typeof body === "string" ? body : JSON.stringify(body)});

describe("OpenAIEngine over prism's OpenAI-compatible server", () => {
    it("generates the llama engine's texts, batched, for the base model and an adapter", async () => {
        const requests = [...prompts.map((p) => ({messages: user(p), maxTokens: 16})), {messages: user(prompts[0]!), maxTokens: 16, adapter: "persona"}];
        const remote = await client.generate(requests);
        const local = await llama.generate(requests);
        expect(remote).toEqual(local);
        expect(remote[3]!.text).not.toBe(remote[0]!.text);
    });

    it("streams over SSE: the deltas make the same text, with finish reason and usage", async () => {
        const request = {messages: user(prompts[1]!), maxTokens: 20};
        const parts: StreamPart[] = [];
        for await (const p of client.stream(request)) parts.push(p);
        const [local] = await llama.generate([request]);
        expect(parts.filter((p) => p.type === "text-delta").length).toBeGreaterThan(1);
        expect(parts.filter((p) => p.type === "text-delta").map((p) => p.delta).join("")).toBe(local!.text);
        expect(parts.at(-1)).toEqual({type: "finish", finishReason: local!.finishReason, usage: local!.usage, adapter: null});
    });

    it("passes stop strings and stops a stream on abort", async () => {
        const [full] = await llama.generate([{messages: user(prompts[0]!), maxTokens: 30}]);
        const stop = full!.text.slice(6, 9);
        const [r] = await client.generate([{messages: user(prompts[0]!), maxTokens: 30, stop: [stop]}]);
        expect(r!.text).toBe(full!.text.slice(0, full!.text.indexOf(stop)));

        const controller = new AbortController();
        const result = await collectStream((async function* () {
            let n = 0;
            for await (const p of client.stream({messages: user(prompts[2]!), maxTokens: 400, signal: controller.signal})) {
                if (p.type === "text-delta" && ++n === 2) controller.abort();
                yield p;
            }
        })());
        expect(result.finishReason).toBe("abort");
    });

    it("returns schema-valid objects through response_format json_schema", async () => {
        const schema = {type: "object", properties: {answer: {enum: ["yes", "no"]}}, required: ["answer"]};
        const r = await client.generateObject<{answer: string}>({messages: user(prompts[2]!), schema, maxTokens: 30});
        expect(["yes", "no"]).toContain(r.object.answer);
    });

    it("gets prompt vectors from /v1/embeddings, and refuses teacher-forced scoring clearly", async () => {
        const remote = await client.promptVector({messages: user(prompts[0]!)});
        expect(remote).toEqual(await llama.promptVector({messages: user(prompts[0]!)}));
        await expect(client.scoreContinuations()).rejects.toThrow(UnsupportedFeatureError);
        await expect(client.topLogprobs()).rejects.toThrow(/not supported by this openai engine/);
    });

    it("maps a server model the server lacks to a usage error", async () => {
        await client.loadAdapter("ghost", "no-such-model");
        const err = await client.generate([{messages: user("x"), adapter: "ghost"}]).catch((e: unknown) => e);
        expect(PrismError.isInstance(err) && err.exitCode).toBe(2);
        expect((err as Error).message).toMatch(/404.*no-such-model/);
    });
});

describe("OpenAI-compatible server protocol", () => {
    it("lists the base model and adapters, and answers /health", async () => {
        const models = await (await fetch(`${server.url}/v1/models`)).json() as {data: {id: string}[]};
        expect(models.data.map((m) => m.id)).toEqual(["tiny", "persona"]);
        expect(await (await fetch(`${server.url}/health`)).json()).toEqual({status: "ok"});
    });

    it("answers a chat completion in OpenAI's shape, with logprobs", async () => {
        const res = await post("/v1/chat/completions", {model: "tiny", messages: [{role: "user", content: "Hi"}], max_tokens: 5, logprobs: true, top_logprobs: 3});
        expect(res.status).toBe(200);
        const body = await res.json() as {object: string, choices: {message: {content: string}, finish_reason: string, logprobs: {content: {token: string, logprob: number, top_logprobs: {logprob: number}[]}[]}}[], usage: {completion_tokens: number}};
        expect(body.object).toBe("chat.completion");
        expect(body.choices[0]!.finish_reason).toBe("length");
        expect(body.usage.completion_tokens).toBe(5);
        const lp = body.choices[0]!.logprobs.content;
        // Teacher-forced along the answer: the llama engine's own log-probabilities of it.
        const walk = await llama.topLogprobs({messages: user("Hi"), response: body.choices[0]!.message.content, k: 3});
        expect(lp.map((t) => t.logprob)).toEqual(walk.tokenLogprobs);
        expect(lp.map((t) => t.token)).toEqual(walk.tokens.map((id) => llama.chatTokenizer.detokenize([id])));
        for (const t of lp) {
            expect(t.top_logprobs).toHaveLength(3);
            expect(t.logprob).toBeLessThanOrEqual(t.top_logprobs[0]!.logprob + 1e-6);
        }
    });

    it("ends an SSE stream with usage and data: [DONE]", async () => {
        const res = await post("/v1/chat/completions", {model: "persona", messages: [{role: "user", content: "Hi"}], max_tokens: 4, stream: true});
        expect(res.headers.get("content-type")).toBe("text/event-stream");
        const events = (await res.text()).split("\n\n").filter(Boolean);
        expect(events.at(-1)).toBe("data: [DONE]");
        const last = JSON.parse(events.at(-2)!.slice(6)) as {choices: {finish_reason: string}[], usage: {completion_tokens: number}};
        expect(last.choices[0]!.finish_reason).toBe("length");
        expect(last.usage.completion_tokens).toBe(4);
    });

    it("answers bad requests with OpenAI error objects and the right status", async () => {
        const cases: [Response, number, string][] = [
            [await post("/v1/chat/completions", "{not json"), 400, "invalid_json"],
            [await post("/v1/chat/completions", {model: "tiny", messages: []}), 400, "invalid_value"],
            [await post("/v1/chat/completions", {model: "gpt-9", messages: [{role: "user", content: "x"}]}), 404, "model_not_found"],
            [await post("/v1/chat/completions", {model: "tiny", messages: [{role: "user", content: "x"}], temperature: -1}), 400, "invalid_value"],
            [await post("/v1/nothing", {}), 404, "not_found"],
            [await fetch(`${server.url}/v1/chat/completions`), 405, "method_not_allowed"]
        ];
        for (const [res, status, code] of cases) {
            expect(res.status).toBe(status);
            const body = await res.json() as {error: {message: string, type: string, param: unknown, code: string}};
            expect(body.error.code).toBe(code);
            expect(body.error.message.length).toBeGreaterThan(5);
            expect(body.error).toHaveProperty("param");
            expect(body.error.type).toBe("invalid_request_error");
        }
    });
});

describe("OpenAIEngine transport", () => {
    it("retries 429 and 5xx answers, then succeeds", async () => {
        let calls = 0;
        const flaky = http.createServer((req, res) => {
            req.resume();
            calls++;
            if (calls <= 2) {
                res.writeHead(calls === 1 ? 429 : 503, {"retry-after": "0.01", "content-type": "application/json"}).end(JSON.stringify({error: {message: "busy"}}));
                return;
            }
            res.writeHead(200, {"content-type": "application/json"}).end(JSON.stringify({choices: [{message: {content: "ok"}, finish_reason: "stop"}], usage: {prompt_tokens: 3, completion_tokens: 1}}));
        });
        await new Promise<void>((r) => flaky.listen(0, "127.0.0.1", r));
        try {
            const engine = new OpenAIEngine({baseURL: `http://127.0.0.1:${(flaky.address() as AddressInfo).port}/v1`, model: "m", maxRetries: 2});
            expect(await engine.generate([{messages: user("x")}])).toEqual([{text: "ok", finishReason: "stop", usage: {inputTokens: 3, outputTokens: 1}, adapter: null}]);
            expect(calls).toBe(3);
        } finally {
            flaky.close();
        }
    });

    it("times out a silent server, but lets a slow stream run past the timeout", async () => {
        const slow = http.createServer((req, res) => {
            let body = "";
            req.on("data", (d) => (body += d));
            req.on("end", () => {
                if (!(JSON.parse(body) as {stream?: boolean}).stream) return; // never answers
                res.writeHead(200, {"content-type": "text/event-stream"});
                const words = ["a", "b", "c", "d"];
                const timer = setInterval(() => {
                    const w = words.shift();
                    if (w === undefined) {
                        clearInterval(timer);
                        res.end(`data: ${JSON.stringify({choices: [{delta: {}, finish_reason: "stop"}], usage: {prompt_tokens: 1, completion_tokens: 4}})}\n\ndata: [DONE]\n\n`);
                    } else res.write(`data: ${JSON.stringify({choices: [{delta: {content: w}, finish_reason: null}]})}\n\n`);
                }, 100);
            });
        });
        await new Promise<void>((r) => slow.listen(0, "127.0.0.1", r));
        try {
            const engine = new OpenAIEngine({baseURL: `http://127.0.0.1:${(slow.address() as AddressInfo).port}/v1`, model: "m", maxRetries: 0, timeoutMs: 250});
            expect(await collectStream(engine.stream({messages: user("x")}))).toMatchObject({text: "abcd", finishReason: "stop"});
            const err = await engine.generate([{messages: user("x")}]).catch((e: unknown) => e);
            expect(PrismError.isInstance(err) && err.code).toBe("E_TIMEOUT");
        } finally {
            slow.closeAllConnections();
            slow.close();
        }
    });

    it("reports an unreachable server as a resource error", async () => {
        const engine = new OpenAIEngine({baseURL: "http://127.0.0.1:9/v1", model: "m", maxRetries: 0});
        const err = await engine.generate([{messages: user("x")}]).catch((e: unknown) => e);
        expect(PrismError.isInstance(err) && err.code).toBe("E_CONNECTION");
        expect(() => new OpenAIEngine({baseURL: "not a url", model: "m"})).toThrow(/baseURL/);
    });
});
