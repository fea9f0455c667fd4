import fs from "node:fs";
import {createOpenAICompatible} from "@ai-sdk/openai-compatible";
import {generateText, stepCountIs, streamText, tool} from "ai";
import OpenAI from "openai";
import type {ChatCompletionChunk, ChatCompletionMessageParam, ChatCompletionTool} from "openai/resources/chat/completions";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {z} from "zod";
import type {LlamaChatTokenizer} from "../src/engine/llama-chat-tokenizer.js";
import {LlamaEngine} from "../src/engine/llama-engine.js";
import {fromOpenAIMessage, fromOpenAITools} from "../src/engine/openai-protocol.js";
import {OpenAIServer} from "../src/serve/openai-server.js";
import {startServe, type ServeProcess} from "./helpers/serve-process.js";
import {engineGateFeatures, tinyGateFile} from "./helpers/tiny-gate.js";
import {tempDir, tinyLora} from "./helpers/tiny-models.js";

// An agent loop against real `prism serve` processes (the built CLI; `npm run build` first) on the tiny ChatML
// model: the call is forced by tool_choice (a random model never calls a tool by itself) and written under the
// tool's grammar; the tool's result goes back as a `tool` message; the model answers. A second process with
// --upstream passes the same loop through to the first.
const cities = ["Paris", "Oslo", "Lima"] as const;
const weatherTool: ChatCompletionTool = {
    type: "function",
    function: {
        name: "get_weather", description: "The weather in a city",
        parameters: {type: "object", properties: {city: {type: "string", enum: [...cities]}}, required: ["city"], additionalProperties: false}
    }
};
const timeTool: ChatCompletionTool = {type: "function", function: {name: "get_time", parameters: {type: "object", properties: {zone: {type: "string", enum: ["UTC", "CET"]}}, required: ["zone"]}}};
const question: ChatCompletionMessageParam[] = [{role: "user", content: "What is the weather in Paris?"}];
const forceWeather = {type: "function", function: {name: "get_weather"}} as const;

let dir: string;
let llama: LlamaEngine;
let direct: ServeProcess, front: ServeProcess;
let client: OpenAI, frontClient: OpenAI;

beforeAll(async () => {
    const {model, adapter} = await tinyLora({}, {});
    dir = tempDir("serve-tools");
    llama = await LlamaEngine.load({model, gpu: false, contextSize: 1024, parallel: 1});
    const features = await engineGateFeatures(llama);
    const {file: gateFile} = await tinyGateFile(features, dir).finally(() => features.dispose());
    direct = await startServe(["--model", model, "--adapter", adapter, "--adapter-name", "persona", "--gate", gateFile, "--context-size", "1024", "--access-log", "off"]);
    front = await startServe([
        "--model", model, "--gate", gateFile, "--adapter-name", "persona", "--upstream", direct.ready.url,
        "--upstream-base-model", "base", "--upstream-adapter-model", "persona", "--access-log", "off"
    ]);
    client = new OpenAI({baseURL: direct.ready.url, apiKey: "none", maxRetries: 0});
    frontClient = new OpenAI({baseURL: front.ready.url, apiKey: "none", maxRetries: 0});
}, 120_000);
afterAll(async () => {
    for (const p of [front, direct]) {
        p?.child.kill("SIGTERM");
        await p?.exited;
    }
    await llama?.dispose();
    fs.rmSync(dir, {recursive: true, force: true});
});

/** The tokens the served model sees for a request, from the same GGUF's chat template here. */
function promptTokens(messages: ChatCompletionMessageParam[], tools: ChatCompletionTool[]): number {
    const tokenizer = llama.chatTokenizer as LlamaChatTokenizer;
    return tokenizer.formatPrompt(messages.map((m) => fromOpenAIMessage(m as never)), fromOpenAITools(tools as never)).length;
}

/** Gathers a stream's delta.tool_calls by index, as OpenAI's clients do. */
function gatherToolCalls(chunks: ChatCompletionChunk[]): {id: string, name: string, arguments: string}[] {
    const calls: {id: string, name: string, arguments: string}[] = [];
    for (const c of chunks)
        for (const d of c.choices[0]?.delta.tool_calls ?? []) {
            calls[d.index] ??= {id: d.id!, name: d.function!.name!, arguments: ""};
            calls[d.index]!.arguments += d.function?.arguments ?? "";
        }
    return calls;
}

async function roundTrip(c: OpenAI, model: string) {
    const first = await c.chat.completions.create({model, messages: question, tools: [weatherTool, timeTool], tool_choice: forceWeather, max_tokens: 48});
    const message = first.choices[0]!.message;
    const result = {role: "tool" as const, tool_call_id: message.tool_calls?.[0]?.id ?? "", content: JSON.stringify({sky: "clear", celsius: 21})};
    const followUp: ChatCompletionMessageParam[] = [...question, message, result];
    const second = await c.chat.completions.create({model, messages: followUp, tools: [weatherTool, timeTool], max_tokens: 8});
    return {first, second, followUp};
}

describe("prism serve: tool calls", () => {
    it("round trip with the openai client: a forced call in OpenAI's shape, its result as a tool message, then an answer", async () => {
        for (const model of ["base", "prism"]) {
            const {first, second, followUp} = await roundTrip(client, model);
            const choice = first.choices[0]!;
            expect(choice.finish_reason).toBe("tool_calls");
            expect(choice.message.content).toBeNull();
            expect(choice.message.tool_calls).toHaveLength(1);
            const call = choice.message.tool_calls![0]!;
            expect(call.type).toBe("function");
            expect(call.id).toMatch(/^call_[0-9a-f]{24}$/);
            if (call.type !== "function") throw new Error("not a function call");
            expect(call.function.name).toBe("get_weather");
            expect(cities).toContain((JSON.parse(call.function.arguments) as {city: string}).city);
            expect(first.usage!.prompt_tokens).toBe(promptTokens(question, [weatherTool, timeTool]));

            const answer = second.choices[0]!;
            expect(["stop", "length"]).toContain(answer.finish_reason);
            expect(answer.message.tool_calls ?? []).toEqual([]);
            expect(answer.message.content).toBeTypeOf("string");
            // The call and its result are in the prompt the model answered.
            expect(second.usage!.prompt_tokens).toBe(promptTokens(followUp, [weatherTool, timeTool]));
            expect(second.usage!.prompt_tokens).toBeGreaterThan(first.usage!.prompt_tokens + 10);
        }
    });

    it("streams the call as OpenAI's delta.tool_calls chunks, with the arguments the non-streamed call has", async () => {
        const plain = await client.chat.completions.create({model: "base", messages: question, tools: [weatherTool, timeTool], tool_choice: forceWeather, max_tokens: 48});
        const stream = await client.chat.completions.create({model: "base", messages: question, tools: [weatherTool, timeTool], tool_choice: forceWeather, max_tokens: 48, stream: true});
        const chunks: ChatCompletionChunk[] = [];
        for await (const chunk of stream) chunks.push(chunk);
        const calls = gatherToolCalls(chunks);
        expect(calls).toHaveLength(1);
        expect(calls[0]!.name).toBe("get_weather");
        expect(calls[0]!.arguments).toBe(plain.choices[0]!.message.tool_calls![0]!.type === "function" ? (plain.choices[0]!.message.tool_calls![0] as {function: {arguments: string}}).function.arguments : "");
        // The first tool-call delta names the call; later ones carry pieces of the arguments only.
        const toolDeltas = chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []);
        expect(toolDeltas[0]).toMatchObject({index: 0, id: calls[0]!.id, type: "function", function: {name: "get_weather", arguments: ""}});
        expect(toolDeltas.length).toBeGreaterThan(2);
        expect(toolDeltas.slice(1).every((d) => d.id === undefined && d.function?.name === undefined)).toBe(true);
        expect(chunks.flatMap((c) => c.choices.map((x) => x.finish_reason)).filter(Boolean)).toEqual(["tool_calls"]);

        // The follow-up streams text.
        const {followUp} = await roundTrip(client, "base");
        const text = await client.chat.completions.create({model: "base", messages: followUp, tools: [weatherTool], max_tokens: 8, stream: true});
        let content = "", finish: string | null = null;
        for await (const chunk of text) {
            content += chunk.choices[0]?.delta.content ?? "";
            finish = chunk.choices[0]?.finish_reason ?? finish;
        }
        expect(["stop", "length"]).toContain(finish);
        expect(content.length).toBeGreaterThan(0);
    });

    it("with tool_choice required, calls one of the tools", async () => {
        const r = await client.chat.completions.create({model: "base", messages: question, tools: [weatherTool, timeTool], tool_choice: "required", max_tokens: 48, temperature: 1, seed: 3});
        const call = r.choices[0]!.message.tool_calls![0]!;
        expect(r.choices[0]!.finish_reason).toBe("tool_calls");
        if (call.type !== "function") throw new Error("not a function call");
        expect(["get_weather", "get_time"]).toContain(call.function.name);
        expect(JSON.parse(call.function.arguments)).toBeTypeOf("object");
    });

    it("--upstream passes tools, tool calls and tool results through, streamed or not", async () => {
        const direct = await roundTrip(client, "base");
        const through = await roundTrip(frontClient, "base");
        const args = (m: OpenAI.ChatCompletionMessage) => m.tool_calls!.map((c) => (c.type === "function" ? [c.function.name, c.function.arguments] : []));
        expect(args(through.first.choices[0]!.message)).toEqual(args(direct.first.choices[0]!.message));
        expect(through.first.choices[0]!.finish_reason).toBe("tool_calls");
        expect(through.second.choices[0]!.message.content).toBe(direct.second.choices[0]!.message.content);
        expect(through.second.usage!.prompt_tokens).toBe(direct.second.usage!.prompt_tokens);

        const stream = await frontClient.chat.completions.create({model: "base", messages: question, tools: [weatherTool, timeTool], tool_choice: forceWeather, max_tokens: 48, stream: true});
        const chunks: ChatCompletionChunk[] = [];
        for await (const chunk of stream) chunks.push(chunk);
        expect(gatherToolCalls(chunks).map((c) => [c.name, c.arguments])).toEqual(args(direct.first.choices[0]!.message));
        expect(chunks.flatMap((c) => c.choices.map((x) => x.finish_reason)).filter(Boolean)).toEqual(["tool_calls"]);
    });

    it("the AI SDK's generateText runs the tool and answers with its result in context; streamText streams the call", async () => {
        const prism = createOpenAICompatible({name: "prism", baseURL: direct.ready.url, apiKey: "none"});
        const executed: string[] = [];
        const tools = {
            get_weather: tool({
                description: "The weather in a city",
                inputSchema: z.object({city: z.enum(cities)}),
                execute: async ({city}) => {
                    executed.push(city);
                    return {city, sky: "clear"};
                }
            })
        };
        const result = await generateText({
            model: prism("base"), prompt: "What is the weather in Paris?", tools, maxOutputTokens: 48,
            prepareStep: ({stepNumber}) => (stepNumber === 0 ? {toolChoice: {type: "tool", toolName: "get_weather"}} : {toolChoice: "none"}),
            stopWhen: stepCountIs(3)
        });
        expect(result.steps).toHaveLength(2);
        const [callStep, answerStep] = result.steps;
        expect(callStep!.finishReason).toBe("tool-calls");
        expect(callStep!.toolCalls).toHaveLength(1);
        expect(executed).toEqual([(callStep!.toolCalls[0]!.input as {city: string}).city]);
        expect(callStep!.toolResults[0]!.output).toEqual({city: executed[0], sky: "clear"});
        expect(["stop", "length"]).toContain(answerStep!.finishReason);
        expect(answerStep!.toolCalls).toEqual([]);
        expect(result.text).toBe(answerStep!.text);
        // The answer's prompt holds the call and its result (tool_choice none: the tools themselves are not offered).
        const call = callStep!.toolCalls[0]!;
        const conversation: ChatCompletionMessageParam[] = [
            ...question,
            {role: "assistant", content: null, tool_calls: [{id: call.toolCallId, type: "function", function: {name: call.toolName, arguments: JSON.stringify(call.input)}}]},
            {role: "tool", tool_call_id: call.toolCallId, content: JSON.stringify(callStep!.toolResults[0]!.output)}
        ];
        expect(answerStep!.usage.inputTokens).toBe(promptTokens(conversation, []));

        const streamed = streamText({model: prism("base"), prompt: "What is the weather in Paris?", tools, toolChoice: {type: "tool", toolName: "get_weather"}, maxOutputTokens: 48});
        const kinds: string[] = [];
        for await (const part of streamed.fullStream) kinds.push(part.type);
        expect(kinds).toEqual(expect.arrayContaining(["tool-input-start", "tool-input-delta", "tool-call", "tool-result"]));
        expect((await streamed.toolCalls)[0]!.input).toEqual(callStep!.toolCalls[0]!.input);
        expect(await streamed.finishReason).toBe("tool-calls");
    });

    it("refuses what it cannot honour with OpenAI's 400, never silently", async () => {
        const bad = async (body: Record<string, unknown>) => {
            const err = await client.chat.completions.create({model: "base", messages: question, max_tokens: 4, ...body} as never).catch((e: unknown) => e);
            expect(err).toBeInstanceOf(OpenAI.BadRequestError);
            return (err as InstanceType<typeof OpenAI.BadRequestError>).error as {message: string, param: string | null, code: string | null};
        };
        expect(await bad({tools: [timeTool], tool_choice: forceWeather})).toMatchObject({param: "tool_choice", code: "invalid_value"});
        expect(await bad({tool_choice: "required"})).toMatchObject({param: "tool_choice"});
        expect(await bad({tools: [weatherTool], response_format: {type: "json_object"}})).toMatchObject({param: "response_format", code: "unsupported"});
        expect((await bad({messages: [...question, {role: "tool", tool_call_id: "call_nope", content: "1"}]})).message).toMatch(/tool_call_id "call_nope"/);
        expect(await bad({tools: [{type: "function", function: {name: "has space", parameters: {}}}]})).toMatchObject({param: "tools.0.function.name"});
    });

    it("answers tools with 400 unsupported when the engine's model cannot call tools", async () => {
        // The same llama engine with its tool capability turned off, as an engine for a template without a call syntax reports it.
        const engine = Object.assign(Object.create(llama) as LlamaEngine, {capabilities: {...llama.capabilities, tools: false}});
        const server = await OpenAIServer.start({engine, modelName: "tiny", port: 0});
        try {
            const c = new OpenAI({baseURL: `${server.url}/v1`, apiKey: "none", maxRetries: 0});
            const err = await c.chat.completions.create({model: "tiny", messages: question, tools: [weatherTool], max_tokens: 4}).catch((e: unknown) => e);
            expect(err).toBeInstanceOf(OpenAI.BadRequestError);
            expect((err as InstanceType<typeof OpenAI.BadRequestError>).error).toMatchObject({param: "tools", code: "unsupported"});
            expect((err as Error).message).toMatch(/tools are not supported by this server's model/);
            // Without tools (tool_choice none counts as none offered) it answers.
            const ok = await c.chat.completions.create({model: "tiny", messages: question, tools: [weatherTool], tool_choice: "none", max_tokens: 4});
            expect(ok.choices[0]!.finish_reason).toMatch(/stop|length/);
        } finally {
            await server.shutdown();
        }
    });
});

describe("GET /v1/models/{id}", () => {
    it("answers OpenAI's model object for a served name, and 404 model_not_found in OpenAI's error shape otherwise", async () => {
        for (const c of [client, frontClient]) {
            const model = await c.models.retrieve("persona");
            expect(model).toMatchObject({id: "persona", object: "model", owned_by: "prism", prism: {route: "adapter", adapter: "persona"}});
            expect(await c.models.retrieve("prism")).toMatchObject({id: "prism", prism: {route: "gate"}});
            const err = await c.models.retrieve("gpt-4o").catch((e: unknown) => e);
            expect(err).toBeInstanceOf(OpenAI.NotFoundError);
            expect((err as InstanceType<typeof OpenAI.NotFoundError>).error).toMatchObject({type: "invalid_request_error", code: "model_not_found", param: "model"});
        }
        const res = await fetch(`${direct.ready.url}/models/${encodeURIComponent("org/none")}`);
        expect(res.status).toBe(404);
        expect(await res.json()).toMatchObject({error: {code: "model_not_found", message: expect.stringContaining("'org/none'") as unknown}});
        expect((await fetch(`${direct.ready.url}/models/base`, {method: "DELETE"})).status).toBe(405);
    });
});
