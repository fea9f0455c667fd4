import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {LlamaEngine} from "../src/engine/llama-engine.js";
import {OpenAIServer} from "../src/serve/openai-server.js";
import {rawRequest, type RawResponse} from "./helpers/raw-http.js";
import {memoryAccessLog, metricValue} from "./helpers/serve-helpers.js";
import {userTurn} from "./helpers/tiny-gate.js";
import {tinyLora} from "./helpers/tiny-models.js";

// The server against misbehaving clients, over raw sockets on loopback: malformed and oversized requests, clients
// that stall or vanish (test/serve-fuzz.test.ts fuzzes the parser of a real process). After each, it must still
// answer real requests. The engine has one sequence per context, so a generation whose sequence was never freed would
// block the next request on that model.
let llama: LlamaEngine;
let server: OpenAIServer;
const log = memoryAccessLog();

beforeAll(async () => {
    const {model, adapter} = await tinyLora({}, {});
    llama = await LlamaEngine.load({model, gpu: false, contextSize: 2048, parallel: 1, adapters: [{name: "persona", path: adapter}]});
    server = await OpenAIServer.start({engine: llama, modelName: "tiny", port: 0, maxConcurrent: 2, accessLog: log, headersTimeoutMs: 300, requestTimeoutMs: 600});
});
afterAll(async () => {
    await server?.shutdown();
    await llama?.dispose();
});

/** Sends raw bytes to the server, then collects what comes back until it closes the connection (or `waitMs` passes). */
const raw = (chunks: (string | Buffer)[], options: Parameters<typeof rawRequest>[2] = {}) => rawRequest(server.port, chunks, options);

const postHead = (length: number, extra = "") => `POST /v1/chat/completions HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-length: ${length}\r\n${extra}\r\n`;

function errorCode(r: RawResponse | null): string | undefined {
    return (JSON.parse(r!.body) as {error: {code: string}}).error.code;
}

async function stillServes(): Promise<void> {
    const res = await fetch(`${server.url}/v1/chat/completions`, {method: "POST", headers: {"content-type": "application/json"}, body: JSON.stringify({model: "tiny", messages: userTurn("Hello"), max_tokens: 3})});
    expect(res.status).toBe(200);
    expect((await res.json() as {usage: {completion_tokens: number}}).usage.completion_tokens).toBeGreaterThan(0);
}

describe("prism serve with misbehaving clients", () => {
    it("answers requests Node cannot parse with OpenAI error objects: bad request line, oversized headers", async () => {
        const garbage = await raw(["GARBAGE / NOT-HTTP\r\n\r\n"]);
        expect(garbage?.status).toBe(400);
        expect(errorCode(garbage)).toBe("bad_request");
        const bigHeaders = await raw([`GET /health HTTP/1.1\r\nhost: localhost\r\nx-big: ${"a".repeat(20_000)}\r\n\r\n`]);
        expect(bigHeaders?.status).toBe(431);
        expect(errorCode(bigHeaders)).toBe("headers_too_large");
        await stillServes();
    });

    it("times out clients too slow to send their headers or their body (408)", async () => {
        const slowHeaders = await raw(["GET /health HTTP/1.1\r\nhost: localhost\r\n"], {waitMs: 5000});
        expect(slowHeaders?.status).toBe(408);
        expect(errorCode(slowHeaders)).toBe("request_timeout");
        const slowBody = await raw([postHead(200), "{\"model\": \"tiny\", "], {waitMs: 5000});
        expect(slowBody?.status).toBe(408);
        await stillServes();
    });

    it("lets a generation run longer than the request timeout, which bounds only receiving the request", async () => {
        // About 1.5 s of work against a 600 ms request timeout.
        const res = await fetch(`${server.url}/v1/chat/completions`, {method: "POST", headers: {"content-type": "application/json"}, body: JSON.stringify({model: "persona", messages: userTurn("Hello there"), max_tokens: 1000})});
        expect(res.status).toBe(200);
        expect((await res.json() as {usage: {completion_tokens: number}}).usage.completion_tokens).toBe(1000);
    });

    it("survives clients that vanish part-way through a body, and logs them as 499", async () => {
        const before = log.entries.length;
        expect(await raw([postHead(1000), "{\"model\": \"tiny\", \"messages\": ["], {destroyAfterSend: true})).toBeNull();
        await expect.poll(() => log.entries.length).toBe(before + 1);
        expect(log.entries.at(-1)).toMatchObject({status: 499, error: "client_closed", path: "/v1/chat/completions"});
        await stillServes();
    });

    it("serves pipelined requests on one connection in order", async () => {
        const get = (path: string) => `GET ${path} HTTP/1.1\r\nhost: localhost\r\n\r\n`;
        const r = await raw([get("/health") + get("/v1/models") + "GET /health HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n"]);
        expect(r?.status).toBe(200);
        expect(r!.body.match(/HTTP\/1\.1 200/g)).toHaveLength(2);
        expect(r!.body).toContain("\"id\":\"persona\"");
    });

    it("a client that disconnects mid-stream stops its generation and frees its sequence", async () => {
        // The adapter writes on and on for this prompt (checked: 2000 tokens, no stop), about 3 s of work.
        const longRequest = {model: "persona", messages: userTurn("Hello there"), max_tokens: 2000, stream: true};
        const controller = new AbortController();
        const res = await fetch(`${server.url}/v1/chat/completions`, {method: "POST", headers: {"content-type": "application/json"}, body: JSON.stringify(longRequest), signal: controller.signal});
        const reader = res.body!.getReader();
        let events = 0;
        while (events < 4) events += new TextDecoder().decode((await reader.read()).value).split("data: ").length - 1;
        const before = log.entries.length;
        controller.abort();

        await expect.poll(() => log.entries.length, {timeout: 10_000}).toBe(before + 1);
        const entry = log.entries.at(-1)!;
        expect(entry).toMatchObject({status: 499, model: "persona", route: "adapter", finish_reason: "abort", stream: true, error: "client_closed"});
        expect(entry.completion_tokens).toBeLessThan(2000);

        // One sequence per context: this runs only because the cancelled generation gave its sequence back.
        const next = await fetch(`${server.url}/v1/chat/completions`, {method: "POST", headers: {"content-type": "application/json"}, body: JSON.stringify({...longRequest, stream: false, max_tokens: 5})});
        expect(next.status).toBe(200);
        expect((await next.json() as {usage: {completion_tokens: number}}).usage.completion_tokens).toBe(5);
        const metrics = await (await fetch(`${server.url}/metrics`)).text();
        expect(metricValue(metrics, "prism_active_requests")).toBe(0);
        expect(metricValue(metrics, "prism_http_requests_total", {path: "/v1/chat/completions", status: "499"})).toBeGreaterThanOrEqual(2);
    });
});
