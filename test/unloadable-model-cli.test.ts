import fs from "node:fs";
import path from "node:path";
import {beforeAll, describe, expect, it} from "vitest";
import {chatRecords} from "./helpers/chat-records.js";
import {runCli} from "./helpers/run-cli.js";
import {tempDir, tinyModel} from "./helpers/tiny-models.js";

// A well-formed GGUF that llama.cpp refuses to load: its pre-tokenizer name is one llama.cpp does not know. prism's own
// reader accepts it, so each command gets as far as llama.cpp, and must exit 3 (bad input file) saying so, not 1.
let dir: string;
let bad: string;
let data: string;
beforeAll(async () => {
    dir = tempDir("unloadable");
    const bytes = Buffer.from(fs.readFileSync(await tinyModel({arch: "qwen2", dim: 64, heads: 4, kvHeads: 2, layers: 2})));
    const key = bytes.indexOf("tokenizer.ggml.pre");
    const value = bytes.indexOf("qwen2", key + "tokenizer.ggml.pre".length);
    expect(key).toBeGreaterThan(0);
    expect(value - key).toBeLessThan(40);
    bytes.write("qwenZ", value);
    bad = path.join(dir, "unknown-pretokenizer.gguf");
    fs.writeFileSync(bad, bytes);
    data = path.join(dir, "data.jsonl");
    fs.writeFileSync(data, chatRecords(2, 3).map((r) => JSON.stringify(r.record)).join("\n") + "\n");
});

describe("a model llama.cpp cannot load: exit 3 and llama.cpp's reason, in every command that loads one", () => {
    const commands: [string, () => string[]][] = [
        ["generate", () => ["generate", "--model", bad, "--prompt", "Hi", "--no-gpu"]],
        ["train", () => ["train", "--model", bad, "--data", data, "--out", path.join(dir, "train"), "--threads", "1"]],
        ["bootstrap", () => ["bootstrap", "--model", bad, "--out", path.join(dir, "run"), "--no-gpu", "--threads", "1"]],
        ["serve", () => ["serve", "--model", bad, "--port", "0", "--no-gpu"]]
    ];
    for (const [name, args] of commands)
        it(name, async () => {
            const r = await runCli(args(), {timeoutMs: 60_000});
            expect(r.code, r.stderr).toBe(3);
            expect(r.stderr).toMatch(/unknown-pretokenizer\.gguf: llama\.cpp could not load it/);
        });
});
