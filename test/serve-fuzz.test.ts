import fs from "node:fs";
import path from "node:path";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {Rng} from "../src/util/rng.js";
import {rawRequest} from "./helpers/raw-http.js";
import {startServe, type ServeProcess} from "./helpers/serve-process.js";
import {userTurn} from "./helpers/tiny-gate.js";
import {tempDir} from "./helpers/tiny-models.js";
import {makeTinyRun} from "./helpers/tiny-run.js";

// A fuzzer against the request parser of a real `prism serve --run` process: seeded, generated requests that are each
// wrong in one way (the body, a field, a header, the framing), sent as raw bytes. Every one must get a 4xx with an
// OpenAI error object, and the process must stay up and keep generating.
const KEY = "sk-fuzz";
const MAX_BODY = 64 * 1024;
const CASES = 1200;
let dir: string;
let serve: ServeProcess;

beforeAll(async () => {
    dir = tempDir("serve-fuzz");
    const run = await makeTinyRun(path.join(dir, "run"));
    serve = await startServe(["--run", run.dir, "--api-key", KEY, "--max-body-bytes", String(MAX_BODY), "--request-timeout-ms", "5000", "--access-log", "off"]);
});
afterAll(() => {
    serve?.child.kill("SIGKILL");
    fs.rmSync(dir, {recursive: true, force: true});
});

type FuzzCase = {kind: string, bytes: string};

/** Generates requests that are each wrong in exactly one way; everything else about them is a valid request. */
function fuzzCases(seed: number, port: number): FuzzCase[] {
    const rng = new Rng(seed);
    const pick = <T>(xs: readonly T[]): T => xs[rng.int(xs.length)]!;
    const randomBytes = (n: number) => Buffer.from(Array.from({length: n}, () => rng.int(256))).toString("latin1");
    const scalars: unknown[] = [null, true, false, 0, -1, 1e308, "", "x", "\u0000", [], {}, [[]], [null]];
    const goodChat = () => ({model: pick(["prism", "base", "adapter", "persona"]), messages: userTurn("Hi"), max_tokens: 1});
    const goodEmbed = () => ({model: pick(["prism", "base"]), input: "Hi"});
    const badChatFields: [string, unknown][] = [
        ["temperature", 9], ["temperature", "hot"], ["temperature", -1], ["top_p", 0], ["top_p", 2], ["max_tokens", -5], ["max_tokens", 1.5], ["max_tokens", "3"],
        ["n", 2], ["top_logprobs", 99], ["stream", "yes"], ["stop", 5], ["seed", -1], ["logprobs", "yes"], ["response_format", {type: "xml"}],
        ["messages", []], ["messages", "x"], ["messages", [{role: 5, content: "x"}]], ["messages", [{role: "robot", content: "x"}]], ["messages", [{role: "user", content: 5}]],
        ["model", ""], ["model", 3], ["model", null], ["model", "nope"]
    ];
    const badEmbedFields: [string, unknown][] = [["input", 5], ["input", []], ["input", [1, 2]], ["input", null], ["encoding_format", "hex"], ["model", "nope"], ["model", ""]];
    const caseOf = (): FuzzCase => {
        const route = pick(["/v1/chat/completions", "/v1/embeddings"]);
        const chat = route === "/v1/chat/completions";
        const good = chat ? goodChat() : goodEmbed();
        let method = "POST", target = route, body = JSON.stringify(good), kind: string;
        const headers: [string, string][] = [["Host", pick([`127.0.0.1:${port}`, `localhost:${port}`, "localhost", `[::1]:${port}`])], ["Authorization", `Bearer ${KEY}`],
            ["Content-Type", pick(["application/json", "application/json; charset=utf-8", "APPLICATION/JSON", "application/vnd.api+json"])]];
        if (rng.next() < 0.3) headers.push([pick(["X-Request-Id", "x-trace", "User-Agent", "Accept"]), pick(["", "a".repeat(200), "é", "../../etc", "<script>", "  spaced  "])]);
        let framing: "length" | "chunked" | "raw" = "length";
        switch (rng.int(16)) {
            case 0: kind = "random bytes"; body = randomBytes(1 + rng.int(300)); break;
            case 1: kind = "JSON of the wrong shape"; body = JSON.stringify(pick(scalars)); break;
            case 2: case 3: {
                const [field, value] = pick(chat ? badChatFields : badEmbedFields);
                kind = `bad field ${field}`;
                body = JSON.stringify({...good, [field]: value});
                break;
            }
            case 4: kind = "a field missing"; {
                const copy: Record<string, unknown> = {...good};
                delete copy[pick(Object.keys(copy).filter((k) => k !== "max_tokens"))];
                body = JSON.stringify(copy);
            } break;
            case 5: kind = "truncated JSON"; body = body.slice(0, rng.int(body.length - 1)); break;
            case 6: kind = "deep nesting"; body = "[".repeat(1000 + rng.int(60_000)); break;
            case 7: kind = "empty body"; body = pick(["", " ", "\r\n"]); break;
            case 8: kind = "not a JSON content type"; headers[2] = ["Content-Type", pick(["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/jsonx", "json", ""])]; break;
            case 9: kind = "no content type"; headers.splice(2, 1); break;
            case 10: kind = "a foreign Host"; headers[0] = ["Host", pick(["evil.example", `evil.example:${port}`, "127.0.0.1.evil.example", "user@127.0.0.1", "[::2]:80", "localhost.evil"])]; break;
            case 11: kind = "a wrong or missing key"; if (rng.next() < 0.5) headers.splice(1, 1); else headers[1] = ["Authorization", pick(["Bearer", "Bearer sk-other", `Basic ${KEY}`, `bearer  ${KEY}x`, KEY])]; break;
            case 12: kind = "a wrong method or path"; method = pick(["PUT", "DELETE", "PATCH", "GET"]); if (rng.next() < 0.3) target = pick(["/v1/completions", "/v1/chat/completion", "/v2/chat/completions", "/%", "/v1/models/../../x"]); if (method === "GET" && target === route) method = "PUT"; break;
            case 13: kind = "a body over the limit"; body = JSON.stringify({...good, pad: "x".repeat(MAX_BODY)}); framing = pick(["length", "chunked"]); break;
            case 14: kind = "bad chunked framing"; framing = "raw";
                body = `${pick(["zz", "-1", "fffffffffffffffffff", "4 ; =", ""])}\r\n${body}\r\n0\r\n\r\n`;
                headers.push(["Transfer-Encoding", "chunked"]); break;
            default: kind = "bad header framing"; framing = "raw"; {
                const shape = rng.int(5);
                if (shape === 0) headers.push(["Content-Length", pick(["abc", "-1", "1e3", "12, 13"])]);
                else if (shape === 1) headers.push(["Content-Length", String(body.length)], ["Transfer-Encoding", "chunked"]);
                else if (shape === 2) headers.push([pick(["Bad Header", "Bad:Name", "\u0001x", "(x)"]), "v"]);
                else if (shape === 3) headers.push(["X-Big", "a".repeat(20_000)]);
                else headers.push(["Content-Length", String(body.length)], ["X-Ctl", "a\u0000b"]);
            }
        }
        if (framing === "length") headers.push(["Content-Length", String(Buffer.byteLength(body, "latin1"))]);
        if (framing === "chunked") headers.push(["Transfer-Encoding", "chunked"]);
        const payload = framing === "chunked" ? `${Buffer.byteLength(body, "latin1").toString(16)}\r\n${body}\r\n0\r\n\r\n` : body;
        const lines = headers.map(([n, v]) => `${rng.next() < 0.2 ? n.toLowerCase() : n}: ${v}`);
        return {kind, bytes: `${method} ${target} HTTP/1.1\r\n${lines.join("\r\n")}\r\nConnection: close\r\n\r\n${payload}`};
    };
    return Array.from({length: CASES}, caseOf);
}

describe("prism serve under fuzzed requests (process)", () => {
    it(`answers ${CASES} generated malformed requests with 4xx OpenAI errors, and stays up throughout`, async () => {
        const statuses = new Map<number, number>(), kinds = new Map<string, number>();
        const cases = fuzzCases(2026, serve.ready.port);
        for (const [i, c] of cases.entries()) {
            const r = await rawRequest(serve.ready.port, [Buffer.from(c.bytes, "latin1")], {waitMs: 10_000});
            const where = `case ${i} (${c.kind}): ${JSON.stringify(c.bytes.slice(0, 300))}`;
            expect(r, where).not.toBeNull();
            expect(r!.status, `${where}\n→ ${r!.body.slice(0, 300)}`).toBeGreaterThanOrEqual(400);
            expect(r!.status, `${where}\n→ ${r!.body.slice(0, 300)}`).toBeLessThan(500);
            const body = JSON.parse(r!.body) as {error?: {message?: unknown, type?: unknown}};
            expect(typeof body.error?.message, where).toBe("string");
            expect(typeof body.error?.type, where).toBe("string");
            statuses.set(r!.status, (statuses.get(r!.status) ?? 0) + 1);
            kinds.set(c.kind.replace(/ \w+$/, ""), (kinds.get(c.kind.replace(/ \w+$/, "")) ?? 0) + 1);
            if (i % 100 === 0) expect(serve.child.exitCode, serve.stderr()).toBeNull();
        }
        console.log(`fuzz: ${CASES} requests; statuses ${JSON.stringify(Object.fromEntries([...statuses].sort()))}`);
        // The generator reaches every layer: the body parser, the schema, content types, hosts, keys, routes, limits, Node's parser.
        for (const status of [400, 401, 403, 404, 405, 413, 415, 431]) expect(statuses.get(status), `status ${status}`).toBeGreaterThan(0);

        expect(serve.child.exitCode, serve.stderr()).toBeNull();
        const res = await fetch(`${serve.ready.url}/chat/completions`, {
            method: "POST", headers: {"content-type": "application/json", authorization: `Bearer ${KEY}`}, body: JSON.stringify({model: "prism", messages: userTurn("Hello"), max_tokens: 2})
        });
        expect(res.status).toBe(200);
    });
});
