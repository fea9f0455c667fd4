import fs from "node:fs";
import path from "node:path";
import OpenAI from "openai";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {LlamaEngine} from "../src/engine/llama-engine.js";
import type {Gate} from "../src/gate/gate.js";
import type {PartialForwardFeatures} from "../src/gate/partial-forward-features.js";
import type {AccessLogEntry} from "../src/serve/access-log.js";
import {OpenAIServer} from "../src/serve/openai-server.js";
import {runCli} from "./helpers/run-cli.js";
import {memoryAccessLog} from "./helpers/serve-helpers.js";
import {startServe} from "./helpers/serve-process.js";
import {engineGateFeatures, gatePrompts, tinyGateFile, userTurn} from "./helpers/tiny-gate.js";
import {tempDir, tinyLora, tinyModel} from "./helpers/tiny-models.js";

// `prism serve` as a real process (the built CLI; `npm run build` first): ready line, routing, key, access-log file,
// graceful shutdown on SIGTERM and SIGINT, exit codes, and --upstream against an in-process prism server.
let model: string, adapter: string, gateFile: string;
let llama: LlamaEngine;
let features: PartialForwardFeatures;
let gate: Gate;
let dir: string;

beforeAll(async () => {
    ({model, adapter} = await tinyLora({}, {}));
    dir = tempDir("serve-cli");
    llama = await LlamaEngine.load({model, gpu: false, contextSize: 512, parallel: 2, adapters: [{name: "tiny-persona", path: adapter}]});
    features = await engineGateFeatures(llama);
    ({file: gateFile, gate} = await tinyGateFile(features, dir));
});
afterAll(async () => {
    features?.dispose();
    await llama?.dispose();
    fs.rmSync(dir, {recursive: true, force: true});
});

const readLog = (file: string): AccessLogEntry[] => fs.readFileSync(file, "utf8").trim().split("\n").map((l) => JSON.parse(l) as AccessLogEntry);

describe("prism serve (process)", () => {
    it("serves routed requests behind $PRISM_API_KEY, logs them to a file, and on SIGTERM finishes the request in flight, then exits 0", async () => {
        const accessLog = path.join(dir, "logs", "access.jsonl");
        const serve = await startServe(["--model", model, "--adapter", adapter, "--adapter-name", "persona", "--gate", gateFile, "--access-log", accessLog], {env: {PRISM_API_KEY: "sk-cli"}});
        try {
            expect(serve.ready).toMatchObject({models: ["prism", "base", "adapter", "persona"], generation: "llama", auth: true, routing: {features: "partial-forward", policy: "first-turn", adapter: "persona"}});
            const client = new OpenAI({baseURL: serve.ready.url, apiKey: "sk-cli", maxRetries: 0});
            for (const p of gatePrompts.slice(0, 4)) {
                const {useAdapter, score} = gate.decide(await features.extract(userTurn(p)));
                const {data, response} = await client.chat.completions.create({model: "prism", messages: userTurn(p), max_tokens: 6}).withResponse();
                expect((data as unknown as {prism: unknown}).prism).toEqual({route: useAdapter ? "adapter" : "base", adapter: useAdapter ? "persona" : null, gate_score: score, reason: "gate"});
                expect(response.headers.get("x-prism-route")).toBe(useAdapter ? "adapter" : "base");
            }
            await expect(new OpenAI({baseURL: serve.ready.url, apiKey: "sk-other", maxRetries: 0}).models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);

            // A long stream in flight when SIGTERM arrives runs to its end.
            const stream = await client.chat.completions.create({model: "adapter", messages: userTurn("Hello there"), max_tokens: 400, stream: true});
            const chunks = [];
            for await (const chunk of stream) {
                if (chunks.length === 2) serve.child.kill("SIGTERM");
                chunks.push(chunk);
            }
            expect(chunks.at(-1)!.usage?.completion_tokens).toBe(400);
            expect(await serve.exited).toBe(0);
            expect(serve.events.at(-1)).toEqual({event: "stopped", drained: true, aborted: 0});
            expect(serve.stderr()).toMatch(/stopped \(every request finished\)/);
            const lines = readLog(accessLog);
            expect(lines.map((l) => l.status)).toEqual([200, 200, 200, 200, 401, 200]);
            expect(lines.at(-1)).toMatchObject({model: "adapter", route: "adapter", reason: "explicit", stream: true, completion_tokens: 400, finish_reason: "length"});
        } finally {
            serve.child.kill("SIGKILL");
        }
    });

    it("on SIGINT past --shutdown-timeout-ms, cuts the stream with a shutting_down error and still exits 0", async () => {
        const accessLog = path.join(dir, "cut.jsonl");
        const serve = await startServe(["--model", model, "--adapter", adapter, "--shutdown-timeout-ms", "200", "--access-log", accessLog]);
        try {
            const client = new OpenAI({baseURL: serve.ready.url, apiKey: "none", maxRetries: 0});
            const name = path.basename(adapter, ".gguf");
            expect(serve.ready.models).toEqual(["prism", name]);
            const stream = await client.chat.completions.create({model: name, messages: userTurn("Hello there"), max_tokens: 2000, stream: true});
            let received = 0;
            const err = await (async () => {
                for await (const chunk of stream) {
                    if (received++ === 2) serve.child.kill("SIGINT");
                    expect(chunk.choices[0]?.finish_reason ?? null).toBeNull();
                }
            })().catch((e: unknown) => e);
            expect(err).toBeInstanceOf(OpenAI.APIError);
            expect((err as Error).message).toMatch(/shutting down/);
            expect(await serve.exited).toBe(0);
            expect(serve.events.at(-1)).toEqual({event: "stopped", drained: false, aborted: 1});
            // Its record says it was cut, not that it was a whole answer.
            expect(readLog(accessLog).at(-1)).toMatchObject({model: name, stream: true, status: 200, error: "shutting_down"});
        } finally {
            serve.child.kill("SIGKILL");
        }
    });

    it("exits 2 on bad flags, 3 on a bad gate file, 4 when the port is taken", async () => {
        const usage = [
            ["--model", model, "--gate", gateFile],
            ["--model", model, "--upstream-base-model", "x"]
        ];
        for (const args of usage) {
            const r = await runCli(["serve", "--port", "0", ...args]);
            expect(r.code, `${args.join(" ")}\n${r.stderr}`).toBe(2);
            expect(r.stderr).toMatch(/^prism: /m);
        }
        const missing = await runCli(["serve", "--port", "0", "--model", model, "--adapter", adapter, "--gate", path.join(dir, "nope.json")]);
        expect(missing.code).toBe(3);
        expect(missing.stderr).toMatch(/gate file not found/);
        const otherModel = await tinyModel({seed: 2});
        const mismatch = await runCli(["serve", "--port", "0", "--model", otherModel, "--adapter", adapter, "--gate", gateFile]);
        expect(mismatch.code).toBe(3);
        expect(mismatch.stderr).toMatch(/the gate was made for model/);

        const occupant = await OpenAIServer.start({engine: llama, port: 0});
        try {
            const taken = await runCli(["serve", "--model", model, "--port", String(occupant.port)]);
            expect(taken.code).toBe(4);
            expect(taken.stderr).toMatch(/cannot listen on 127\.0\.0\.1:\d+.*\n.*hint: another process uses the port/);
        } finally {
            await occupant.shutdown();
        }
    });

    it("--upstream: routes here, generates on the upstream under its model names", async () => {
        const upstreamLog = memoryAccessLog();
        const upstream = await OpenAIServer.start({engine: llama, modelName: "tiny-base", port: 0, accessLog: upstreamLog, apiKey: "sk-up"});
        const serve = await startServe(["--model", model, "--gate", gateFile, "--upstream", upstream.url, "--upstream-adapter-model", "tiny-persona", "--adapter-name", "persona", "--upstream-api-key", "sk-up", "--access-log", "off"]);
        try {
            expect(serve.ready).toMatchObject({generation: `${upstream.url}/v1`, models: ["prism", "base", "adapter", "persona"]});
            const client = new OpenAI({baseURL: serve.ready.url, apiKey: "none", maxRetries: 0});
            const seen = new Set<string | null>();
            for (const p of gatePrompts) {
                const {useAdapter} = gate.decide(await features.extract(userTurn(p)));
                const before = upstreamLog.entries.length;
                const completion = await client.chat.completions.create({model: "prism", messages: userTurn(p), max_tokens: 4});
                expect((completion as unknown as {prism: {route: string}}).prism.route).toBe(useAdapter ? "adapter" : "base");
                await expect.poll(() => upstreamLog.entries.length).toBe(before + 1);
                expect(upstreamLog.entries.at(-1)!.model).toBe(useAdapter ? "tiny-persona" : "tiny-base");
                seen.add(upstreamLog.entries.at(-1)!.model);
            }
            expect(seen.size).toBe(2);
        } finally {
            serve.child.kill("SIGTERM");
            await serve.exited;
            await upstream.shutdown();
        }
    });
});
