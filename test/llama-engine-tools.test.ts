import path from "node:path";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {collectStream} from "../src/engine/collect-stream.js";
import type {ConversationMessage, FunctionTool, StreamPart} from "../src/engine/engine.js";
import type {LlamaChatTokenizer} from "../src/engine/llama-chat-tokenizer.js";
import {LlamaEngine} from "../src/engine/llama-engine.js";
import {OpenAIEngine} from "../src/engine/openai-engine.js";
import {writeGgufLora} from "../src/lora/gguf-lora.js";
import {OpenAIServer} from "../src/serve/openai-server.js";
import {LoraTrainer} from "../src/train/lora-trainer.js";
import {PrismError} from "../src/util/prism-error.js";
import {tempDir, tinyModel} from "./helpers/tiny-models.js";

// Tool calls on the tiny random model: it never calls a tool by itself, so the calls here are forced by the tool
// choice and written under the tools' grammars, which is what makes the arguments valid JSON of the right shape.
const weather: FunctionTool = {
    type: "function", name: "get_weather", description: "The weather in a city",
    inputSchema: {type: "object", properties: {city: {type: "string", enum: ["Paris", "Oslo", "Lima"]}, days: {type: "integer"}}, required: ["city", "days"], additionalProperties: false}
};
const time: FunctionTool = {type: "function", name: "get_time", inputSchema: {type: "object", properties: {zone: {type: "string", enum: ["UTC", "CET"]}}, required: ["zone"]}};
const ask: ConversationMessage[] = [{role: "user", content: "What is the weather in Paris?"}];

let engine: LlamaEngine;
beforeAll(async () => {
    engine = await LlamaEngine.load({model: await tinyModel(), gpu: false, contextSize: 1024, parallel: 2});
});
afterAll(async () => {
    await engine?.dispose();
});

async function parts(stream: AsyncIterable<StreamPart>): Promise<StreamPart[]> {
    const all: StreamPart[] = [];
    for await (const p of stream) all.push(p);
    return all;
}

describe("LlamaEngine tool calls", () => {
    it("says the ChatML template can call tools", () => {
        expect(engine.capabilities.tools).toBe(true);
    });

    it("forces the named tool: streams its arguments, then the whole call, and finishes with tool-calls", async () => {
        const all = await parts(engine.stream({messages: ask, tools: [weather, time], toolChoice: {type: "tool", toolName: "get_weather"}, maxTokens: 64}));
        const start = all.find((p) => p.type === "tool-input-start");
        const call = all.find((p) => p.type === "tool-call");
        const finish = all.at(-1);
        expect(start).toMatchObject({toolName: "get_weather"});
        expect(call).toMatchObject({toolName: "get_weather", toolCallId: start!.type === "tool-input-start" ? start!.id : ""});
        const input = call!.type === "tool-call" ? call!.input : "";
        const deltas = all.flatMap((p) => (p.type === "tool-input-delta" ? [p.delta] : [])).join("");
        expect(deltas.trim()).toBe(input);
        const args = JSON.parse(input) as {city: string, days: number};
        expect(["Paris", "Oslo", "Lima"]).toContain(args.city);
        expect(Number.isInteger(args.days)).toBe(true);
        expect(finish).toMatchObject({type: "finish", finishReason: "tool-calls"});
        expect(all.some((p) => p.type === "text-delta")).toBe(false);
        if (finish?.type === "finish") expect(finish.usage.outputTokens).toBeGreaterThan(engine.chatTokenizer.tokenize(input).length);
    });

    it("with tool choice required, picks one of the tools by name under a grammar", async () => {
        const r = await collectStream(engine.stream({messages: ask, tools: [weather, time], toolChoice: {type: "required"}, maxTokens: 64, temperature: 1, seed: 7}));
        expect(r.finishReason).toBe("tool-calls");
        expect(r.toolCalls).toHaveLength(1);
        const [call] = r.toolCalls!;
        expect(["get_weather", "get_time"]).toContain(call!.toolName);
        expect(JSON.parse(call!.input)).toBeTypeOf("object");
    });

    it("renders earlier calls and their results in the template, and answers after them", async () => {
        const messages: ConversationMessage[] = [
            ...ask,
            {role: "assistant", content: "", toolCalls: [{toolCallId: "call_1", toolName: "get_weather", input: "{\"city\":\"Paris\",\"days\":1}"}]},
            {role: "tool", toolCallId: "call_1", content: "{\"sky\":\"clear\"}"}
        ];
        const text = engine.chatTokenizer.detokenize(engine.chatTokenizer.formatPrompt(messages));
        expect(text).toContain("||call: get_weather({\"city\": \"Paris\", \"days\": 1})");
        expect(text).toContain("||result: {\"sky\": \"clear\"}");
        // The model's turn goes on after the result: no end of turn and no new assistant header after it.
        expect(text.endsWith("||result: {\"sky\": \"clear\"}\n")).toBe(true);
        const withTools = engine.chatTokenizer.detokenize((engine.chatTokenizer as LlamaChatTokenizer).formatPrompt(messages, [weather]));
        // node-llama-cpp documents the tools as TypeScript signatures in a system message.
        expect(withTools).toContain("// The weather in a city\nfunction get_weather(params: {city: \"Paris\" | \"Oslo\" | \"Lima\", days: bigint});");
        expect(withTools.indexOf("Provided functions:")).toBeLessThan(withTools.indexOf("What is the weather in Paris?"));
        const r = await collectStream(engine.stream({messages, tools: [weather], maxTokens: 12}));
        expect(["stop", "length"]).toContain(r.finishReason);
        expect(r.toolCalls).toBeUndefined();
    });

    it("cut by maxTokens inside the arguments: the call so far, with finish reason length", async () => {
        const request = {messages: ask, tools: [weather], toolChoice: {type: "tool", toolName: "get_weather"}} as const;
        const whole = await collectStream(engine.stream({...request, maxTokens: 64}));
        const cut = await collectStream(engine.stream({...request, maxTokens: 3}));
        expect(cut.finishReason).toBe("length");
        expect(cut.toolCalls).toHaveLength(1);
        expect(cut.toolCalls![0]!.input.length).toBeLessThan(whole.toolCalls![0]!.input.length);
        expect(whole.toolCalls![0]!.input.startsWith(cut.toolCalls![0]!.input)).toBe(true);
    });

    it("OpenAIEngine passes tools and tool messages to a server and reads the calls back, streamed or not", async () => {
        const server = await OpenAIServer.start({engine, modelName: "tiny", port: 0});
        const remote = new OpenAIEngine({baseURL: `${server.url}/v1`, model: "tiny", maxRetries: 0});
        try {
            const request = {messages: ask, tools: [weather, time], toolChoice: {type: "tool", toolName: "get_weather"}, maxTokens: 64} as const;
            const here = await collectStream(engine.stream(request));
            const [there] = await remote.generate([request]);
            const streamed = await parts(remote.stream(request));
            for (const r of [there!, await collectStream((async function* () {
                yield* streamed;
            })())]) {
                expect(r.finishReason).toBe("tool-calls");
                expect(r.toolCalls!.map((c) => [c.toolName, c.input])).toEqual(here.toolCalls!.map((c) => [c.toolName, c.input]));
            }
            expect(streamed.filter((p) => p.type === "tool-input-delta").length).toBeGreaterThan(1);
            // The call and a result go back; the server renders them as the engine here does.
            const followUp: ConversationMessage[] = [...ask, {role: "assistant", content: "", toolCalls: there!.toolCalls!}, {role: "tool", toolCallId: there!.toolCalls![0]!.toolCallId, content: "{\"sky\":\"clear\"}"}];
            const [answer] = await remote.generate([{messages: followUp, tools: [weather], maxTokens: 6}]);
            const [local] = await engine.generate([{messages: followUp, tools: [weather], maxTokens: 6}]);
            expect([answer!.text, answer!.usage.inputTokens]).toEqual([local!.text, local!.usage.inputTokens]);
        } finally {
            await remote.dispose();
            await server.shutdown();
        }
    });

    it("refuses a tool result that answers no call, and a tool choice without its tool, as usage errors", async () => {
        const orphan: ConversationMessage[] = [...ask, {role: "tool", toolCallId: "call_x", content: "1"}];
        await expect(collectStream(engine.stream({messages: orphan, maxTokens: 4}))).rejects.toThrow(/tool_call_id "call_x", which no earlier assistant message called/);
        const err = await collectStream(engine.stream({messages: ask, tools: [time], toolChoice: {type: "tool", toolName: "get_weather"}, maxTokens: 4})).catch((e: unknown) => e);
        expect(PrismError.isInstance(err) && err.kind).toBe("usage");
        expect((err as Error).message).toMatch(/not among the tools \(get_time\)/);
    });
});

describe("LlamaEngine tool calls the model starts by itself", () => {
    // A tiny adapter trained here (SFT on one example, 15 s on one thread) to answer the question with
    // "Checking. ||call: get_weather", ChatML's call syntax: so the random model starts a call of its own accord.
    // Only an enum argument, so the arguments end within a few tokens whatever the random model prefers.
    const cityWeather: FunctionTool = {...weather, inputSchema: {type: "object", properties: {city: {type: "string", enum: ["Paris", "Oslo", "Lima"]}}, required: ["city"]}};
    let caller: LlamaEngine;
    beforeAll(async () => {
        const model = await tinyModel();
        const tokenizer = engine.chatTokenizer as LlamaChatTokenizer;
        const example = {source: "caller", prompt: tokenizer.formatPrompt(ask, [cityWeather, time]), response: tokenizer.tokenize("Checking. ||call: get_weather")};
        const adapter = path.join(tempDir("tool-caller"), "caller.gguf");
        {
            using trainer = await LoraTrainer.create({modelPath: model, objective: "sft", rank: 8, alpha: 16, layers: "all", lr: 3e-2, epochs: 40, batchSize: 1, threads: 1});
            await trainer.train([example]);
            await writeGgufLora(adapter, trainer.adapter());
        }
        caller = await LlamaEngine.load({model, gpu: false, contextSize: 1024, parallel: 1, adapters: [{name: "caller", path: adapter}]});
    });
    afterAll(async () => {
        await caller?.dispose();
    });

    it("streams the text before the call, never the call's prefix, then finishes the call under the grammars", async () => {
        const all = await parts(caller.stream({messages: ask, tools: [cityWeather, time], adapter: "caller", maxTokens: 48}));
        const text = all.flatMap((p) => (p.type === "text-delta" ? [p.delta] : [])).join("");
        expect(text).toBe("Checking. ");
        const call = all.find((p) => p.type === "tool-call");
        if (call?.type !== "tool-call") throw new Error("no tool call");
        expect(call.toolName).toBe("get_weather");
        expect(["Paris", "Oslo", "Lima"]).toContain((JSON.parse(call.input) as {city: string}).city);
        expect(all.at(-1)).toMatchObject({type: "finish", finishReason: "tool-calls"});
        // Text parts all come before the call's parts.
        expect(all.findLastIndex((p) => p.type === "text-delta")).toBeLessThan(all.findIndex((p) => p.type === "tool-input-start"));
    });

    it("without tools, or with tool choice none, the same words stay text", async () => {
        for (const request of [{}, {tools: [cityWeather, time], toolChoice: {type: "none"}} as const]) {
            const r = await collectStream(caller.stream({messages: ask, adapter: "caller", maxTokens: 20, ...request}));
            expect(r.toolCalls).toBeUndefined();
            expect(r.finishReason).not.toBe("tool-calls");
            expect(r.text.length).toBeGreaterThan(0);
        }
        const plain = await collectStream(caller.stream({messages: ask, adapter: "caller", maxTokens: 20}));
        // Without the tools in its prompt the adapter still writes its call as words.
        expect(plain.text).toContain("||call:");
    });
});
