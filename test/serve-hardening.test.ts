import fs from "node:fs";
import path from "node:path";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import type {AccessLogEntry} from "../src/serve/access-log.js";
import {Rng} from "../src/util/rng.js";
import {rawRequest, residentBytes, type RawResponse} from "./helpers/raw-http.js";
import {runCli, spawnCli} from "./helpers/run-cli.js";
import {metricValue} from "./helpers/serve-helpers.js";
import {startServe, type ServeProcess} from "./helpers/serve-process.js";
import {userTurn} from "./helpers/tiny-gate.js";
import {tempDir} from "./helpers/tiny-models.js";
import {makeTinyRun} from "./helpers/tiny-run.js";

// `prism serve --run` as a real process (the built CLI; `npm run build` first), against requests that used to kill
// it, exhaust its memory or reach it from a browser, and against a fuzzer. After each, the same process must answer.
const KEY = "sk-test";
const MiB = 1024 * 1024;
let dir: string, run: {dir: string, gate: string}, accessLog: string;
let serve: ServeProcess;
let base: string;

beforeAll(async () => {
    dir = tempDir("serve-hardening");
    run = await makeTinyRun(path.join(dir, "run"));
    accessLog = path.join(dir, "access.jsonl");
    serve = await startServe(["--run", run.dir, "--context-size", "2048", "--max-body-bytes", String(2 * MiB), "--request-timeout-ms", "1500",
        "--api-key", KEY, "--cors-origin", "http://app.example", "--allowed-host", "proxy.internal", "--access-log", accessLog]);
    base = serve.ready.url.replace(/\/v1$/, "");
});
afterAll(async () => {
    serve?.child.kill("SIGKILL");
    fs.rmSync(dir, {recursive: true, force: true});
});

const auth = {authorization: `Bearer ${KEY}`, "content-type": "application/json"};
const readLog = (): AccessLogEntry[] => fs.readFileSync(accessLog, "utf8").trim().split("\n").map((l) => JSON.parse(l) as AccessLogEntry);
const errorOf = (r: RawResponse | null) => (JSON.parse(r!.body) as {error: {code: string, message: string}}).error;

function post(pathName: string, body: unknown, headers: Record<string, string> = auth): Promise<Response> {
    return fetch(`${base}${pathName}`, {method: "POST", headers, body: JSON.stringify(body)});
}

/** The process is up and generates through the gate. */
async function stillServes(): Promise<void> {
    expect(serve.child.exitCode, serve.stderr()).toBeNull();
    const res = await post("/v1/chat/completions", {model: "prism", messages: userTurn("Hello"), max_tokens: 2});
    expect(res.status).toBe(200);
    expect((await res.json() as {prism: {reason: string}}).prism.reason).toBe("gate");
}

/** Request head for a raw POST; `host` is a loopback name, as a browser on this machine sends it. */
const head = (pathName: string, headers: string) => `POST ${pathName} HTTP/1.1\r\nhost: 127.0.0.1:${serve.ready.port}\r\nauthorization: Bearer ${KEY}\r\n${headers}\r\n`;

describe("prism serve against requests that used to hurt it (process)", () => {
    it("answers a chunked body over --max-body-bytes with 413 and lives on (it used to die a second later)", async () => {
        const piece = "x".repeat(64 * 1024);
        const chunked = Array.from({length: 40}, () => `${piece.length.toString(16)}\r\n${piece}\r\n`);
        for (const route of ["/v1/chat/completions", "/v1/embeddings"]) {
            const r = await rawRequest(serve.ready.port, [head(route, "content-type: application/json\r\ntransfer-encoding: chunked\r\n"), ...chunked, "0\r\n\r\n"]);
            expect(r?.status).toBe(413);
            expect(errorOf(r).code).toBe("request_too_large");
        }
        // The crash came from the access-log path after the answer: give it time to happen.
        await new Promise((r) => setTimeout(r, 1500));
        await stillServes();
        expect(readLog().filter((l) => l.status === 413)).toHaveLength(2);
        expect(readLog().find((l) => l.status === 413)?.remote).toBe("127.0.0.1");
    });

    it.skipIf(process.platform !== "linux")("refuses a prompt past the context before the gate runs: 400 context_length_exceeded, memory flat", async () => {
        await stillServes();
        const rng = new Rng(11);
        const words = (n: number) => Array.from({length: n}, () => rng.int(1e6).toString(36)).join(" ");
        const refused = async (prompt: string) => {
            const res = await post("/v1/chat/completions", {model: "prism", messages: userTurn(prompt), max_tokens: 2});
            const body = await res.json() as {error: {code: string, message: string}};
            expect(res.status, JSON.stringify(body).slice(0, 300)).toBe(400);
            expect(body.error.code).toBe("context_length_exceeded");
            expect(body.error.message).toMatch(/the prompt has \d+ tokens but the context holds 2048/);
            return Number(/has (\d+) tokens/.exec(body.error.message)![1]);
        };
        // About 16 KB, 8,000 tokens against a context of 2,048: it used to run the gate's forward over every token (GBs).
        const before = residentBytes(serve.child.pid!);
        expect(await refused(words(2300))).toBeGreaterThan(7000);
        const grownMB = (residentBytes(serve.child.pid!) - before) / MiB;
        console.log(`RSS growth after an 8,000-token prompt through the gate: ${grownMB.toFixed(1)} MB`);
        expect(grownMB).toBeLessThan(50);
        // 1 MiB used to be a 500 (Invalid typed array length).
        expect(await refused(words(150_000))).toBeGreaterThan(100_000);
        await stillServes();
    });

    it("refuses non-JSON content types (415) and foreign Host headers (403); answers allowed origins' preflights before the key", async () => {
        const body = JSON.stringify({model: "prism", messages: userTurn("Hi"), max_tokens: 2});
        // What a web page can send anywhere without a preflight: text/plain, or no content type at all.
        const plain = await fetch(`${base}/v1/chat/completions`, {method: "POST", headers: {...auth, "content-type": "text/plain"}, body});
        expect(plain.status).toBe(415);
        expect((await plain.json() as {error: {code: string}}).error.code).toBe("unsupported_media_type");
        const typeless = await rawRequest(serve.ready.port, [head("/v1/chat/completions", `content-length: ${body.length}\r\n`) + body]);
        expect(typeless?.status).toBe(415);

        // DNS rebinding: a page on evil.example whose name now resolves to 127.0.0.1 still sends its own Host.
        const rebound = await rawRequest(serve.ready.port, [`GET /v1/models HTTP/1.1\r\nhost: evil.example:${serve.ready.port}\r\nauthorization: Bearer ${KEY}\r\n\r\n`]);
        expect(rebound?.status).toBe(403);
        expect(errorOf(rebound).code).toBe("host_not_allowed");
        // Loopback names pass, and the name --allowed-host adds (a reverse proxy on this machine forwarding its Host).
        for (const host of [`localhost:${serve.ready.port}`, "[::1]", "127.0.0.1", "proxy.internal:443"]) {
            const ok = await rawRequest(serve.ready.port, [`GET /health HTTP/1.1\r\nhost: ${host}\r\nconnection: close\r\n\r\n`]);
            expect(ok?.status, host).toBe(200);
        }

        const preflight = (origin: string, route = "/v1/chat/completions") => fetch(`${base}${route}`, {
            method: "OPTIONS", headers: {origin, "access-control-request-method": "POST", "access-control-request-headers": "authorization, content-type"}
        });
        // A model's own route too (GET /v1/models/{id}), before the key check.
        expect((await preflight("http://app.example", "/v1/models/prism")).headers.get("access-control-allow-origin")).toBe("http://app.example");
        const allowed = await preflight("http://app.example");
        expect(allowed.status).toBe(204);
        expect(allowed.headers.get("access-control-allow-origin")).toBe("http://app.example");
        expect(allowed.headers.get("access-control-allow-headers")).toBe("authorization, content-type");
        expect(allowed.headers.get("access-control-allow-methods")).toMatch(/POST/);
        const foreign = await preflight("http://evil.example");
        expect(foreign.status).toBe(204);
        expect(foreign.headers.get("access-control-allow-origin")).toBeNull();

        const fromApp = await fetch(`${base}/v1/chat/completions`, {method: "POST", headers: {...auth, origin: "http://app.example"}, body});
        expect(fromApp.status).toBe(200);
        expect(fromApp.headers.get("access-control-allow-origin")).toBe("http://app.example");
        expect(fromApp.headers.get("access-control-expose-headers")).toMatch(/x-prism-route/);
        const noKey = await fetch(`${base}/v1/models`, {headers: {origin: "http://app.example"}});
        expect(noKey.status).toBe(401);
        expect(noKey.headers.get("access-control-allow-origin")).toBe("http://app.example");
        const fromEvil = await fetch(`${base}/v1/models`, {headers: {...auth, origin: "http://evil.example"}});
        expect(fromEvil.headers.get("access-control-allow-origin")).toBeNull();
    });

    it("logs a body too slow to arrive as 408 with its address, and counts it once", async () => {
        const r = await rawRequest(serve.ready.port, [head("/v1/chat/completions", "content-type: application/json\r\ncontent-length: 200\r\n") + "{\"model\": \"prism\", "], {waitMs: 6000});
        expect(r?.status).toBe(408);
        expect(errorOf(r).code).toBe("request_timeout");
        await expect.poll(() => readLog().at(-1)?.status, {timeout: 3000}).toBe(408);
        expect(readLog().at(-1)).toMatchObject({path: "/v1/chat/completions", status: 408, error: "request_timeout", remote: "127.0.0.1"});
        const metrics = await (await fetch(`${base}/metrics`, {headers: auth})).text();
        expect(metricValue(metrics, "prism_http_requests_total", {status: "408"})).toBe(1);
        expect(() => metricValue(metrics, "prism_http_requests_total", {status: "499"})).toThrow(/no sample/);
    });

    it("answers a json_schema request cut by max_tokens with finish_reason \"length\", as OpenAI does", async () => {
        const schema = {type: "object", properties: {answer: {type: "string"}}, required: ["answer"]};
        const res = await post("/v1/chat/completions", {model: "base", messages: userTurn("Hello"), max_tokens: 3, response_format: {type: "json_schema", json_schema: {name: "a", schema}}});
        const body = await res.json() as {choices: {finish_reason: string, message: {content: string}}[], usage: {completion_tokens: number}};
        expect(res.status, JSON.stringify(body)).toBe(200);
        expect(body.choices[0]!.finish_reason).toBe("length");
        expect(body.usage.completion_tokens).toBe(3);
        expect(body.choices[0]!.message.content.startsWith("{")).toBe(true);
        await expect.poll(() => readLog().at(-1)?.model).toBe("base");
        expect(readLog().at(-1)).toMatchObject({status: 200, finish_reason: "length", error: null});
    });

    it("refuses a non-loopback --host without a key (exit 2); with --allow-no-api-key warns, and its banner names the run's gate", async () => {
        const refused = await runCli(["serve", "--port", "0", "--run", run.dir, "--host", "0.0.0.0", "--access-log", "off"]);
        expect(refused.code, refused.stderr).toBe(2);
        expect(refused.stderr).toMatch(/--host 0\.0\.0\.0 .*no API key/);
        expect(refused.stderr).toMatch(/--allow-no-api-key/);

        const {child, done} = spawnCli(["serve", "--port", "0", "--run", run.dir, "--host", "0.0.0.0", "--allow-no-api-key", "--access-log", "off"]);
        let stdout = "";
        child.stdout!.on("data", (d) => (stdout += d));
        await expect.poll(() => stdout, {timeout: 30_000}).toMatch(/Ctrl-C/);
        child.kill("SIGTERM");
        const result = await done;
        expect(result.code).toBe(0);
        expect(stdout).toContain(`gate ${run.gate}, partial-forward features`);
        expect(result.stderr).toMatch(/WARNING: listening on 0\.0\.0\.0 with no API key/);
    });
});
