import fs from "node:fs";
import path from "node:path";
import {beforeAll, describe, expect, it} from "vitest";
import {LlamaEngine} from "../src/engine/llama-engine.js";
import {OpenAIServer} from "../src/serve/openai-server.js";
import {runCli} from "./helpers/run-cli.js";
import {tempDir, tinyLora} from "./helpers/tiny-models.js";

// The generate and chat commands as a user runs them (the demo is tested on a bootstrap run in bootstrap-e2e.test.ts): the built CLI in a child process, on tiny models.
let model: string;
let adapter: string;
let dir: string;
beforeAll(async () => {
    ({model, adapter} = await tinyLora({}, {}));
    dir = tempDir("cli-generate");
});

type JsonResults = {results: {index: number, text: string, finishReason: string, usage: {inputTokens: number, outputTokens: number}, adapter: string | null}[]};

describe("prism generate", () => {
    it("answers a prompt deterministically, and with --adapter --base answers with both", async () => {
        const once = await runCli(["generate", "--model", model, "--prompt", "Hello", "--max-tokens", "12", "--no-gpu"]);
        expect(once.code).toBe(0);
        expect(once.stdout.trim().length).toBeGreaterThan(0);
        const json = await runCli(["generate", "--model", model, "--adapter", `${adapter}:1`, "--base", "--prompt", "Hello", "--max-tokens", "12", "--json", "--no-gpu"]);
        expect(json.code).toBe(0);
        const {results} = JSON.parse(json.stdout) as JsonResults;
        expect(results.map((r) => r.adapter)).toEqual([null, path.basename(adapter, ".gguf")]);
        expect(results[0]!.text + "\n").toBe(once.stdout);
        expect(results[1]!.text).not.toBe(results[0]!.text);
        expect(results[0]).toMatchObject({finishReason: "length", usage: {outputTokens: 12}});
    });

    it("answers every line of a prompts file, with per-line settings", async () => {
        const file = path.join(dir, "prompts.jsonl");
        fs.writeFileSync(file, [
            JSON.stringify({prompt: "Hello"}),
            "",
            JSON.stringify({messages: [{role: "system", content: "Be brief."}, {role: "user", content: "Hi"}], maxTokens: 3}),
            JSON.stringify({prompt: "Hello", temperature: 1, seed: 3, maxTokens: 5})
        ].join("\n") + "\n");
        const r = await runCli(["generate", "--model", model, "--file", file, "--max-tokens", "8", "--json", "--no-gpu"]);
        expect(r.code).toBe(0);
        const {results} = JSON.parse(r.stdout) as JsonResults;
        expect(results.map((x) => x.usage.outputTokens)).toEqual([8, 3, 5]);
        expect(results[2]!.text).not.toBe(results[0]!.text.slice(0, results[2]!.text.length));
    });
});

describe("prism generate --engine openai", () => {
    it("answers through an OpenAI-compatible server as the embedded engine does", async () => {
        await using engine = await LlamaEngine.load({model, gpu: false, contextSize: 256, adapters: [{name: "persona", path: adapter}]});
        await using server = await OpenAIServer.start({engine, modelName: "tiny", port: 0});
        const remote = await runCli(["generate", "--engine", "openai", "--url", `${server.url}/v1`, "--model", "tiny", "--adapter", "persona", "--base",
            "--prompt", "Hello", "--max-tokens", "8", "--json"]);
        expect(remote.code).toBe(0);
        const local = await engine.generate([null, "persona"].map((a) => ({messages: [{role: "user" as const, content: "Hello"}], adapter: a, maxTokens: 8})));
        expect((JSON.parse(remote.stdout) as JsonResults).results.map((r) => r.text)).toEqual(local.map((r) => r.text));
    });
});

describe("prism chat", () => {
    it("keeps the conversation across piped lines", async () => {
        const r = await runCli(["chat", "--model", model, "--max-tokens", "6", "--json", "--no-gpu"], {input: "Hi\n/reset\nHi\nAnd then?\n"});
        expect(r.code).toBe(0);
        const turns = r.stdout.trim().split("\n").map((l) => JSON.parse(l) as {turn: number, text: string, usage: {inputTokens: number, outputTokens: number}});
        expect(turns).toHaveLength(3);
        // /reset forgot the first exchange: the second "Hi" is answered exactly as the first.
        expect(turns[1]!.text).toBe(turns[0]!.text);
        expect(turns[1]!.usage.inputTokens).toBe(turns[0]!.usage.inputTokens);
        // The third turn's prompt holds the second exchange.
        expect(turns[2]!.usage.inputTokens).toBeGreaterThan(turns[1]!.usage.inputTokens + turns[1]!.usage.outputTokens);
    });
});

describe("bad input gets a clear message and a non-zero exit", () => {
    const generate = (...args: string[]) => runCli(["generate", "--prompt", "Hi", "--no-gpu", ...args]);

    it("a missing model file", async () => {
        const r = await generate("--model", path.join(dir, "nope.gguf"));
        expect(r.code).toBe(3);
        expect(r.stderr).toMatch(/GGUF file not found: .*nope\.gguf/);
    });

    it("a file that is not GGUF", async () => {
        const file = path.join(dir, "notes.gguf");
        fs.writeFileSync(file, "these are not the weights you are looking for\n".repeat(4));
        const r = await generate("--model", file);
        expect(r.code).toBe(3);
        expect(r.stderr).toMatch(/notes\.gguf: not a GGUF file/);
        expect(r.stderr).toMatch(/hint:/);
    });

    it("a truncated GGUF", async () => {
        const file = path.join(dir, "cut.gguf");
        const bytes = fs.readFileSync(model);
        fs.writeFileSync(file, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
        const r = await generate("--model", file);
        expect(r.code).toBe(3);
        expect(r.stderr).toMatch(/cut\.gguf: truncated: tensor \S+ .* ends at byte \d+ but the file has \d+ bytes/);
    });

    it("an adapter whose shapes do not match the model", async () => {
        const other = await tinyLora({dim: 32, heads: 4, kvHeads: 2}, {});
        const r = await generate("--model", model, "--adapter", other.adapter);
        expect(r.code).toBe(3);
        expect(r.stderr).toMatch(/blk\.0\.attn_q\.weight\.lora_a has shape \[32, 4\] but the model's blk\.0\.attn_q\.weight takes inputs of width 64/);
    });

    it("a model passed as an adapter, and an adapter passed as a model", async () => {
        const asAdapter = await generate("--model", model, "--adapter", model);
        expect(asAdapter.code).toBe(3);
        expect(asAdapter.stderr).toMatch(/not a LoRA adapter/);
        const asModel = await generate("--model", adapter);
        expect(asModel.code).toBe(3);
        expect(asModel.stderr).toMatch(/a LoRA adapter, not a model/);
    });

    it("a prompts file with a malformed line, named with its line number", async () => {
        const file = path.join(dir, "bad.jsonl");
        fs.writeFileSync(file, `${JSON.stringify({prompt: "ok"})}\n{"prompt": "unterminated\n`);
        const r = await runCli(["generate", "--model", model, "--file", file]);
        expect(r.code).toBe(3);
        expect(r.stderr).toMatch(/bad\.jsonl:2: not valid JSON/);
        fs.writeFileSync(file, `${JSON.stringify({prompt: "ok"})}\n${JSON.stringify({prompt: "a", messages: []})}\n`);
        const both = await runCli(["generate", "--model", model, "--file", file]);
        expect(both.code).toBe(3);
        expect(both.stderr).toMatch(/bad\.jsonl:2: invalid record/);
    });

    it("usage errors exit 2", async () => {
        const neither = await runCli(["generate", "--model", model]);
        expect(neither.code).toBe(2);
        expect(neither.stderr).toMatch(/exactly one of --prompt and --file/);
        const noUrl = await generate("--model", "m", "--engine", "openai");
        expect(noUrl.code).toBe(2);
        expect(noUrl.stderr).toMatch(/needs --url/);
    });
});
