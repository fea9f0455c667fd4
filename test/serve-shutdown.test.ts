import http from "node:http";
import net, {type AddressInfo} from "node:net";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {LlamaEngine} from "../src/engine/llama-engine.js";
import {createOpenAIHandler, OpenAIServer} from "../src/serve/openai-server.js";
import {memoryAccessLog} from "./helpers/serve-helpers.js";
import {userTurn} from "./helpers/tiny-gate.js";
import {tinyLora} from "./helpers/tiny-models.js";

// Graceful shutdown on a real server: what is in flight finishes, what comes after is refused, and past the bound the
// rest is cut with an error the client can see. For this prompt the adapter writes until max_tokens (checked up to
// 2000 tokens, about 3 s), so a request's length sets how long it stays in flight.
let llama: LlamaEngine;

beforeAll(async () => {
    const {model, adapter} = await tinyLora({}, {});
    llama = await LlamaEngine.load({model, gpu: false, contextSize: 2048, parallel: 2, adapters: [{name: "persona", path: adapter}]});
});
afterAll(async () => {
    await llama?.dispose();
});

const longBody = (maxTokens: number, stream: boolean) => JSON.stringify({model: "persona", messages: userTurn("Hello there"), max_tokens: maxTokens, stream});

/** One keep-alive connection: send a request, read its whole response, send the next. */
class Connection {
    private readonly socket: net.Socket;
    private buffered = "";
    private waiter?: () => void;
    closed = false;

    constructor(port: number) {
        this.socket = net.connect(port, "127.0.0.1");
        this.socket.on("data", (d) => {
            this.buffered += d.toString("utf8");
            this.waiter?.();
        });
        this.socket.on("close", () => {
            this.closed = true;
            this.waiter?.();
        });
        this.socket.on("error", () => undefined);
    }

    send(body: string): void {
        this.socket.write(`POST /v1/chat/completions HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    }

    /** Waits until `done(text so far)` or the connection closes; returns what arrived and clears it. */
    async read(done: (text: string) => boolean): Promise<string> {
        while (!done(this.buffered) && !this.closed) await new Promise<void>((r) => (this.waiter = r));
        const text = this.buffered;
        this.buffered = "";
        return text;
    }

    destroy(): void {
        this.socket.destroy();
    }
}

describe("OpenAIServer.shutdown", () => {
    it("lets requests in flight finish, refuses new connections, and closes kept-alive ones once their answer is done", async () => {
        const log = memoryAccessLog();
        const server = await OpenAIServer.start({engine: llama, modelName: "tiny", port: 0, accessLog: log});
        const conn = new Connection(server.port);
        conn.send(longBody(300, true));
        const firstEvents = await conn.read((t) => t.includes("data: "));
        expect(firstEvents).toMatch(/^HTTP\/1\.1 200/);

        const stopping = server.shutdown({timeoutMs: 30_000});
        await expect(fetch(`${server.url}/health`)).rejects.toThrow();
        const rest = await conn.read((t) => t.includes("data: [DONE]"));
        expect(rest).toContain("\"completion_tokens\":300");
        expect(rest).toContain("\"finish_reason\":\"length\"");

        // Its answer complete, the kept-alive connection is closed rather than left open for another request.
        await conn.read(() => false);
        expect(conn.closed).toBe(true);
        expect(await stopping).toEqual({drained: true, aborted: 0});
        expect(log.entries.filter((e) => e.status === 200 && e.completion_tokens === 300)).toHaveLength(1);
    });

    it("answers 503 shutting_down, and closes the connection, once the handler drains (embedded in another server)", async () => {
        const handler = createOpenAIHandler({engine: llama, modelName: "tiny"});
        const server = http.createServer(handler);
        await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
        try {
            const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
            expect((await fetch(`${url}/health`)).status).toBe(200);
            handler.startDraining();
            expect(handler.draining).toBe(true);
            const res = await fetch(`${url}/v1/chat/completions`, {method: "POST", headers: {"content-type": "application/json"}, body: JSON.stringify({model: "tiny", messages: userTurn("hi")})});
            expect(res.status).toBe(503);
            expect(res.headers.get("connection")).toBe("close");
            expect(await res.json()).toEqual({error: {message: "The server is shutting down", type: "server_error", param: null, code: "shutting_down"}});
        } finally {
            server.closeAllConnections();
            server.close();
        }
    });

    it("past the bound, cuts what is left: a stream gets a shutting_down error event, a queued request a 503", async () => {
        const server = await OpenAIServer.start({engine: llama, modelName: "tiny", port: 0, maxConcurrent: 1});
        const post = (body: string) => fetch(`${server.url}/v1/chat/completions`, {method: "POST", headers: {"content-type": "application/json"}, body});
        const streaming = await post(longBody(2000, true));
        const reader = streaming.body!.getReader();
        await reader.read();
        const queued = post(longBody(5, false));
        await expect.poll(() => server.metrics.text().then((t) => /^prism_queue_depth 1$/m.test(t))).toBe(true);

        const result = await server.shutdown({timeoutMs: 200});
        expect(result).toEqual({drained: false, aborted: 2});
        let text = "";
        for (let r = await reader.read(); !r.done; r = await reader.read()) text += new TextDecoder().decode(r.value);
        const events = text.split("\n\n").filter((e) => e.startsWith("data: ")).map((e) => e.slice(6));
        expect(events.at(-1)).toBe("[DONE]");
        expect(JSON.parse(events.at(-2)!)).toEqual({error: {message: "The server is shutting down", type: "server_error", param: null, code: "shutting_down"}});
        expect(events.some((e) => e.includes("\"finish_reason\":\"length\""))).toBe(false);
        const refused = await queued;
        expect(refused.status).toBe(503);
        expect((await refused.json() as {error: {code: string}}).error.code).toBe("shutting_down");
    });
});
