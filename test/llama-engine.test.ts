import {getLlama, type Llama, type LlamaModel} from "node-llama-cpp";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {collectStream} from "../src/engine/collect-stream.js";
import type {ChatMessage, StreamPart} from "../src/engine/engine.js";
import {NoSuchAdapterError, SchemaGenerationError} from "../src/engine/engine-errors.js";
import {LlamaEngine} from "../src/engine/llama-engine.js";
import {logSumExp} from "../src/engine/log-sum-exp.js";
import {TokenTextDecoder} from "../src/engine/token-text-decoder.js";
import {UnsupportedFeatureError} from "../src/engine/unsupported-feature-error.js";
import {GgufFile} from "../src/model/gguf-file.js";
import {decodeTensor} from "../src/model/quantize.js";
import {PrismError} from "../src/util/prism-error.js";
import {tempDir, tinyLora} from "./helpers/tiny-models.js";

// Every test runs real llama.cpp on a tiny random model (width 64, 2 layers): its text is noise, its arithmetic is real.
const user = (content: string): ChatMessage[] => [{role: "user", content}];
const prompts = ["Hello there", "What is the capital of France?", "Write a haiku about rain.", "2 + 2 =", "Tell me a story"];

let engine: LlamaEngine;
let modelPath: string;
let adapterPath: string;
beforeAll(async () => {
    ({model: modelPath, adapter: adapterPath} = await tinyLora({}, {}));
    engine = await LlamaEngine.load({model: modelPath, gpu: false, contextSize: 512, parallel: 4, adapters: [{name: "persona", path: adapterPath}]});
});
afterAll(async () => {
    await engine?.dispose();
});

describe("LlamaEngine generation", () => {
    it("is deterministic at temperature 0, and N prompts batched give the texts of one at a time", async () => {
        const requests = prompts.map((p) => ({messages: user(p), maxTokens: 24}));
        const batched = await engine.generate(requests);
        const single = [];
        for (const r of requests) single.push((await engine.generate([r]))[0]!);
        expect(batched.map((r) => r.text)).toEqual(single.map((r) => r.text));
        expect(new Set(batched.map((r) => r.text)).size).toBeGreaterThan(1);
        for (const r of batched) {
            expect(r.adapter).toBeNull();
            expect(r.usage.inputTokens).toBe(engine.chatTokenizer.formatPrompt(user(prompts[batched.indexOf(r)]!)).length);
            expect(r.usage.outputTokens).toBeGreaterThan(0);
            expect(r.usage.outputTokens).toBeLessThanOrEqual(24);
        }
    });

    it("stops at maxTokens with finishReason length", async () => {
        const [r] = await engine.generate([{messages: user(prompts[1]!), maxTokens: 5}]);
        expect(r!.usage.outputTokens).toBe(5);
        expect(r!.finishReason).toBe("length");
    });

    it("stops before a stop string and leaves it out", async () => {
        const [full] = await engine.generate([{messages: user(prompts[0]!), maxTokens: 30}]);
        const text = full!.text;
        const stop = text.slice(8, 11);
        const expected = text.slice(0, text.indexOf(stop));
        const [r] = await engine.generate([{messages: user(prompts[0]!), maxTokens: 30, stop: [stop]}]);
        expect(r!.text).toBe(expected);
        expect(r!.finishReason).toBe("stop");
    });

    it("reproduces sampled text for the same seed and varies it across seeds", async () => {
        const sample = (seed: number) => engine.generate([{messages: user(prompts[2]!), maxTokens: 20, temperature: 1, seed}]).then((r) => r[0]!.text);
        const a = await sample(7);
        expect(await sample(7)).toBe(a);
        const others = await Promise.all([1, 2, 3].map(sample));
        expect(others.some((t) => t !== a)).toBe(true);
        // top-k 1 (or a tiny top-p) leaves only the most likely token: sampling becomes greedy.
        const [greedy, topK1, topPTiny] = await engine.generate([{temperature: 0}, {temperature: 1, topK: 1}, {temperature: 1, topP: 1e-6}]
            .map((settings) => ({messages: user(prompts[2]!), maxTokens: 20, seed: 5, ...settings})));
        expect(topK1!.text).toBe(greedy!.text);
        expect(topPTiny!.text).toBe(greedy!.text);
    });

    it("streams the same text as generate, ending with a finish part", async () => {
        const request = {messages: user(prompts[3]!), maxTokens: 20};
        const parts: StreamPart[] = [];
        for await (const p of engine.stream(request)) parts.push(p);
        const [r] = await engine.generate([request]);
        expect(parts.filter((p) => p.type === "text-delta").map((p) => p.delta).join("")).toBe(r!.text);
        expect(parts.at(-1)).toEqual({type: "finish", finishReason: r!.finishReason, usage: r!.usage, adapter: null});
    });

    it("stops on abort with finishReason abort and keeps the partial text", async () => {
        const controller = new AbortController();
        let deltas = 0;
        const result = await collectStream((async function* () {
            for await (const p of engine.stream({messages: user(prompts[4]!), maxTokens: 200, signal: controller.signal})) {
                if (p.type === "text-delta" && ++deltas === 2) controller.abort();
                yield p;
            }
        })());
        expect(result.finishReason).toBe("abort");
        expect(result.usage.outputTokens).toBeLessThan(10);
        const [pre] = await engine.generate([{messages: user("x"), signal: AbortSignal.abort()}]);
        expect(pre).toMatchObject({text: "", finishReason: "abort"});
    });

    it("rejects an unknown adapter and a bad setting with clear errors", async () => {
        await expect(engine.generate([{messages: user("x"), adapter: "nope"}])).rejects.toThrow(NoSuchAdapterError);
        await expect(engine.generate([{messages: user("x"), temperature: -1}])).rejects.toThrow(/temperature/);
    });
});

describe("LlamaEngine JSON schema", () => {
    const schema = {type: "object", properties: {answer: {enum: ["yes", "no", "maybe"]}, sure: {type: "boolean"}}, required: ["answer", "sure"]};

    it("returns a parsed, schema-valid object", async () => {
        for (const p of prompts.slice(0, 3)) {
            const r = await engine.generateObject<{answer: string, sure: boolean}>({messages: user(p), schema, maxTokens: 40});
            expect(["yes", "no", "maybe"]).toContain(r.object.answer);
            expect(typeof r.object.sure).toBe("boolean");
            expect(JSON.parse(r.text)).toEqual(r.object);
        }
    });

    it("throws SchemaGenerationError when maxTokens cuts the JSON", async () => {
        const err = await engine.generateObject({messages: user(prompts[0]!), schema, maxTokens: 3}).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(SchemaGenerationError);
        expect((err as Error).message).toMatch(/maxTokens/);
    });
});

describe("LlamaEngine scoring", () => {
    const messages = user(prompts[1]!);

    it("topLogprobs rows are sorted and normalised over the whole vocabulary", async () => {
        const [g] = await engine.generate([{messages, maxTokens: 6}]);
        const r = await engine.topLogprobs({messages, response: g!.text, k: engine.vocabularySize});
        expect(r.top).toHaveLength(r.tokens.length);
        for (const [i, row] of r.top.entries()) {
            expect(row.ids).toHaveLength(engine.vocabularySize);
            for (let j = 1; j < row.logprobs.length; j++) expect(row.logprobs[j]!).toBeLessThanOrEqual(row.logprobs[j - 1]!);
            expect(Math.abs(logSumExp(row.logprobs))).toBeLessThan(1e-3);
            expect(row.logprobs[row.ids.indexOf(r.tokens[i]!)]).toBeCloseTo(r.tokenLogprobs[i]!, 4);
        }
    });

    it("the greedy token has the highest log-probability, and scores agree with topLogprobs", async () => {
        // A prompt whose most likely first token is a whole character (random models often prefer partial UTF-8 bytes).
        const clean = (text: string) => !text.includes("\uFFFD") && engine.chatTokenizer.tokenize(text).length === 1;
        let checked = false;
        for (const p of prompts) {
            const row = (await engine.topLogprobs({messages: user(p), response: "x", k: 12})).top[0]!;
            const texts = Array.from(row.ids, (id) => engine.chatTokenizer.detokenize([id]));
            if (!clean(texts[0]!)) continue;
            const candidates = texts.filter(clean);
            const scores = await engine.scoreContinuations({messages: user(p), continuations: candidates});
            const best = scores.reduce((b, s, i) => (s.total > scores[b]!.total ? i : b), 0);
            expect(candidates[best]).toBe(texts[0]);
            const [greedy] = await engine.generate([{messages: user(p), maxTokens: 1}]);
            expect(greedy!.text).toBe(texts[0]);
            for (const [i, c] of candidates.entries()) expect(scores[i]!.total).toBeCloseTo(row.logprobs[texts.indexOf(c)]!, 4);
            checked = true;
            break;
        }
        expect(checked).toBe(true);

        const response = "Paris is the capital.";
        const [score] = await engine.scoreContinuations({messages, continuations: [response]});
        const walk = await engine.topLogprobs({messages, response, k: 5});
        expect(score!.tokens).toEqual(walk.tokens);
        expect(score!.total).toBeCloseTo(score!.logprobs.reduce((a, b) => a + b, 0), 10);
        expect(score!.total).toBeCloseTo(walk.tokenLogprobs.reduce((a, b) => a + b, 0), 3);
        for (const lp of score!.logprobs) expect(lp).toBeLessThan(0);
    });

    it("scores several continuations of one prompt independently of their order", async () => {
        const conts = ["Paris", "London", "", "Rome is"];
        const forward = await engine.scoreContinuations({messages, continuations: conts});
        const backward = await engine.scoreContinuations({messages, continuations: [...conts].reverse()});
        backward.reverse();
        forward.forEach((s, i) => expect(s.total).toBeCloseTo(backward[i]!.total, 5));
        expect(forward[2]).toEqual({tokens: [], logprobs: [], total: 0});
    });
});

describe("LlamaEngine adapters", () => {
    const messages = user(prompts[0]!);
    const response = "I am a helpful assistant.";

    it("gives different logits with the adapter than without, and scale 0 gives exactly the base", async () => {
        await engine.loadAdapter("off", adapterPath, {scale: 0});
        const base = await engine.topLogprobs({messages, response, k: 8});
        const adapted = await engine.topLogprobs({messages, response, k: 8, adapter: "persona"});
        const off = await engine.topLogprobs({messages, response, k: 8, adapter: "off"});
        expect(adapted.tokenLogprobs).not.toEqual(base.tokenLogprobs);
        expect(off.tokenLogprobs).toEqual(base.tokenLogprobs);
        expect(off.top.map((r) => Array.from(r.ids))).toEqual(base.top.map((r) => Array.from(r.ids)));
        expect(engine.listAdapters().map((a) => [a.name, a.scale])).toEqual([["persona", 1], ["off", 0]]);
    });

    it("overrides the adapter's scale per request", async () => {
        const [base, adapted, zero] = await engine.generate([
            {messages, maxTokens: 20}, {messages, maxTokens: 20, adapter: "persona"}, {messages, maxTokens: 20, adapter: "persona", adapterScale: 0}
        ]);
        expect(adapted!.text).not.toBe(base!.text);
        expect(zero!.text).toBe(base!.text);
        expect(zero!.adapter).toBe("persona");
    });

    it("rejects an adapter made for another model, naming the first mismatching tensor", async () => {
        const other = await tinyLora({dim: 32, heads: 4, kvHeads: 2}, {});
        const err = await engine.loadAdapter("wrong", other.adapter).catch((e: unknown) => e);
        expect(PrismError.isInstance(err) && err.exitCode).toBe(3);
        expect((err as Error).message).toMatch(/blk\.0\.attn_q\.weight\.lora_a has shape \[32, 4\].*width 64/);
    });
});

describe("LlamaEngine prompt vectors and tokenizer", () => {
    let llama: Llama;
    let model: LlamaModel;
    beforeAll(async () => {
        llama = await getLlama({gpu: false, build: "never", maxThreads: 1});
        model = await llama.loadModel({modelPath});
    });
    afterAll(async () => {
        await llama?.dispose();
    });

    it("promptVector is the final normed hidden state at the last prompt token: the LM head maps it to the next-token logits", async () => {
        const messages = user(prompts[2]!);
        const v = await engine.promptVector({messages});
        expect(v).toHaveLength(64);
        expect(v).not.toEqual(await engine.promptVector({messages: user(prompts[3]!)}));
        // log_softmax(W_out · v) against the engine's own next-token distribution at that position.
        const file = await GgufFile.open(modelPath);
        const out = file.requireTensor("output.weight");
        const [width, vocab] = out.shape as [number, number];
        const w = decodeTensor(file.readTensorBytes(out), out.type, width * vocab);
        const logits = Float64Array.from({length: vocab}, (_, t) => {
            let s = 0;
            for (let c = 0; c < width; c++) s += w[t * width + c]! * v[c]!;
            return s;
        });
        const lse = logSumExp(logits);
        const top = (await engine.topLogprobs({messages, response: "a", k: 5})).top[0]!;
        for (let j = 0; j < 5; j++) expect(logits[top.ids[j]!]! - lse).toBeCloseTo(top.logprobs[j]!, 3);
        await expect(engine.promptVector({messages, adapter: "persona"})).rejects.toThrow(UnsupportedFeatureError);
    });

    it("decodes generated tokens to text without splitting multi-byte characters", async () => {
        const text = "héllo ✓ 你好, wörld 🎉";
        const tokens = model.tokenize(text);
        const decoder = new TokenTextDecoder(model);
        const deltas = tokens.map((t) => decoder.push(t));
        deltas.push(decoder.flush());
        expect(deltas.join("")).toBe(text);
        for (const d of deltas) expect(d).not.toContain("\uFFFD");
        expect(deltas.filter((d) => d === "").length).toBeGreaterThan(0);
    });

    it("formatPrompt is the model's ChatML template, and generation evaluates exactly those tokens", async () => {
        const messages: ChatMessage[] = [{role: "system", content: "You are terse."}, {role: "user", content: "Hi!"}];
        const tokens = engine.chatTokenizer.formatPrompt(messages);
        const rendered = "<|im_start|>system\nYou are terse.<|im_end|>\n<|im_start|>user\nHi!<|im_end|>\n<|im_start|>assistant\n";
        expect(tokens).toEqual(Array.from(model.tokenize(rendered, true)));
        expect(engine.chatTokenizer.supportsSystemRole).toBe(true);
        // Greedy decoding from exactly these tokens, by node-llama-cpp directly, gives the engine's text.
        const context = await model.createContext({contextSize: 512, threads: 1});
        const generated = [];
        for await (const t of context.getSequence().evaluate(tokens as never, {temperature: 0})) if (generated.push(t) >= 16) break;
        await context.dispose();
        const [r] = await engine.generate([{messages, maxTokens: 16}]);
        expect(r!.text).toBe(model.detokenize(generated));

        const exchange = engine.chatTokenizer.formatExchange(messages, "Hello.");
        expect(exchange.promptTokens).toEqual(tokens);
        expect(model.detokenize(exchange.responseTokens as never, true)).toBe("Hello.<|im_end|>");
        expect(engine.chatTokenizer.detokenize(engine.chatTokenizer.tokenize("round trip ✓"))).toBe("round trip ✓");
    });

    it("formatPrompt remembers recent prompts without letting a caller change what it remembered", async () => {
        const messages: ChatMessage[] = [{role: "user", content: "Remember me."}];
        const first = engine.chatTokenizer.formatPrompt(messages);
        first.push(first[0]!);
        first[0] = 12345 as never;
        const again = engine.chatTokenizer.formatPrompt(messages);
        expect(again).toEqual(Array.from(model.tokenize("<|im_start|>user\nRemember me.<|im_end|>\n<|im_start|>assistant\n", true)));
        // A prompt differing in one message's role is not mistaken for it.
        expect(engine.chatTokenizer.formatPrompt([{role: "system", content: "Remember me."}])).not.toEqual(again);
    });
});

describe("LlamaEngine lifecycle", () => {
    it("dispose is idempotent, later calls throw, and await using disposes", async () => {
        let kept: LlamaEngine;
        {
            await using e = await LlamaEngine.load({model: modelPath, gpu: false, contextSize: 128, parallel: 1});
            kept = e;
            expect(e.threads).toBe(1);
            expect(e.disposed).toBe(false);
        }
        expect(kept.disposed).toBe(true);
        await kept.dispose();
        await expect(kept.generate([{messages: user("x")}])).rejects.toThrow(/after dispose/);
    });

    it("reports a model URI it cannot resolve as a resource error", async () => {
        const err = await LlamaEngine.load({model: "hf:prism-test/no-such-model:Q4_K_M", modelCacheDir: tempDir("hf"), gpu: false}).catch((e: unknown) => e);
        expect(PrismError.isInstance(err) && err.code).toBe("E_MODEL_DOWNLOAD");
    });
});
