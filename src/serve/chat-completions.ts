import crypto from "node:crypto";
import type {ConversationMessage, GenerateRequest, PrismEngine, RouteInfo, StreamPart, ToolCall} from "../engine/engine.js";
import {
    type ChatCompletion, type ChatCompletionChunk, ChatCompletionRequest, fromOpenAIMessage, fromOpenAIToolChoice, fromOpenAITools, type OpenAIFinishReason,
    toOpenAIFinishReason, toOpenAIToolCall, toOpenAIUsage, type TokenLogprob
} from "../engine/openai-protocol.js";
import {admitRequest} from "./admit-request.js";
import {HttpError} from "./http-error.js";
import {sendJson, writeEvent} from "./json-response.js";
import {prismRouteField, prismRouteHeaders, type PrismRouteField} from "./prism-route.js";
import {readJsonRequest} from "./read-json-body.js";
import {schemaCompletion} from "./schema-completion.js";
import type {RequestQueue} from "./request-queue.js";
import type {ServedModels} from "./served-models.js";
import type {ServeRequest} from "./serve-request.js";
import type {ServerMetrics} from "./server-metrics.js";

export type ChatCompletionsDeps = {
    engine: PrismEngine,
    models: ServedModels,
    /** The gate's decision for a conversation (a `Router`'s `decide`); needed when a model name routes. */
    decide?(messages: readonly ConversationMessage[]): Promise<RouteInfo>,
    queue: RequestQueue,
    metrics: ServerMetrics,
    detokenize?(tokens: readonly number[]): string,
    maxBodyBytes: number,
    /** A streaming client that reads nothing for this long is disconnected. */
    stalledReaderTimeoutMs: number,
    /** Why the request's signal was aborted when it was not the client (shutdown), as an error to send. */
    abortError(): HttpError | null
};

type CompletionWithRoute = ChatCompletion & {prism: PrismRouteField};

/**
 * POST /v1/chat/completions: validate, resolve the model name, wait for a slot, route (the gate, or the model named),
 * then answer as JSON or as server-sent events. The route goes back in headers and in a `prism` field.
 */
export async function chatCompletions(deps: ChatCompletionsDeps, request: ServeRequest): Promise<void> {
    const {engine} = deps;
    const {res, signal, record} = request;
    const b = await readJsonRequest(request.req, deps.maxBodyBytes, ChatCompletionRequest);
    record.model = b.model;
    record.stream = b.stream === true;
    const target = deps.models.resolve(b.model);
    const format = b.response_format?.type ?? "text";
    const wantLogprobs = b.logprobs === true;
    if (wantLogprobs && (!engine.capabilities.logprobs || !deps.detokenize))
        throw new HttpError(400, "logprobs are not supported by this server's engine", "invalid_request_error", "unsupported", "logprobs");
    if (b.stream && format !== "text") throw new HttpError(400, "response_format with stream is not supported by this server", "invalid_request_error", "unsupported", "response_format");
    if (b.stream && wantLogprobs) throw new HttpError(400, "logprobs with stream is not supported by this server", "invalid_request_error", "unsupported", "logprobs");
    const messages = b.messages.map(fromOpenAIMessage);
    const tools = b.tool_choice === "none" ? [] : fromOpenAITools(b.tools ?? []);
    const toolChoice = b.tool_choice == null ? undefined : fromOpenAIToolChoice(b.tool_choice);
    checkTools(engine, b, tools.length > 0);

    const release = await admitRequest(deps.queue, deps.metrics, request);
    try {
        let route: RouteInfo;
        if (target.kind === "gate") {
            if (!deps.decide) throw new Error("a model name routes through the gate, but the server has no decide function");
            const started = performance.now();
            route = await deps.decide(messages);
            const ms = performance.now() - started;
            record.gateMs = ms;
            deps.metrics.observeGate(ms / 1000);
        } else route = {adapter: target.adapter, score: null, reason: "explicit"};
        record.route = route;
        deps.metrics.observeRoute(route);

        const generate: GenerateRequest = {
            messages, adapter: route.adapter, route, signal,
            stop: b.stop == null ? undefined : typeof b.stop === "string" ? [b.stop] : b.stop,
            temperature: b.temperature ?? undefined, topP: b.top_p ?? undefined, topK: b.top_k ?? undefined, seed: b.seed ?? undefined,
            maxTokens: b.max_completion_tokens ?? b.max_tokens ?? undefined,
            ...(tools.length > 0 ? {tools, toolChoice} : {})
        };
        const head = {id: `chatcmpl-${crypto.randomUUID()}`, created: Math.floor(Date.now() / 1000), model: b.model};
        if (b.stream) {
            await streamCompletion(deps, request, engine.stream(generate), head, route);
            return;
        }

        let text: string, finishReason: OpenAIFinishReason, toolCalls: ToolCall[] = [];
        if (format === "text") {
            const [r] = await engine.generate([generate]);
            text = r!.text;
            toolCalls = r!.toolCalls ?? [];
            record.usage = r!.usage;
            record.finishReason = r!.finishReason;
            finishReason = toOpenAIFinishReason(r!.finishReason);
        } else {
            const schema = b.response_format?.type === "json_schema" ? b.response_format.json_schema.schema : {type: "object"};
            const r = await schemaCompletion(engine, {...generate, schema});
            text = r.text;
            record.usage = r.usage;
            record.finishReason = r.finishReason;
            finishReason = toOpenAIFinishReason(r.finishReason);
        }
        const shutdown = deps.abortError();
        if (shutdown) throw shutdown;
        const logprobs = wantLogprobs ? {content: await tokenLogprobs(deps, messages, text, route.adapter, b.top_logprobs ?? 0)} : null;
        // As OpenAI: an answer that only calls tools has null content.
        const message = toolCalls.length > 0 ? {role: "assistant" as const, content: text === "" ? null : text, tool_calls: toolCalls.map(toOpenAIToolCall)} : {role: "assistant" as const, content: text};
        const completion: CompletionWithRoute = {
            ...head, object: "chat.completion",
            choices: [{index: 0, message, finish_reason: finishReason, logprobs}],
            usage: toOpenAIUsage(record.usage!),
            prism: prismRouteField(route)
        };
        sendJson(res, 200, completion, prismRouteHeaders(route));
    } finally {
        release();
    }
}

async function streamCompletion(
    deps: ChatCompletionsDeps, request: ServeRequest, stream: AsyncIterable<StreamPart>, head: {id: string, created: number, model: string}, route: RouteInfo
): Promise<void> {
    const {res, record} = request;
    const send = (value: unknown) => writeEvent(res, JSON.stringify(value), deps.stalledReaderTimeoutMs);
    const parts = stream[Symbol.asyncIterator]();
    // The first part is awaited before the headers go out, so a request the engine refuses still gets a proper status.
    let next = await parts.next();
    res.writeHead(200, {"content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive", ...prismRouteHeaders(route)});
    const chunk = (delta: ChatCompletionChunk["choices"][0]["delta"], finish: OpenAIFinishReason = null): ChatCompletionChunk =>
        ({...head, object: "chat.completion.chunk", choices: [{index: 0, delta, finish_reason: finish}]});
    await send({...chunk({role: "assistant", content: ""}), prism: prismRouteField(route)});
    // OpenAI's delta.tool_calls: the call's index, id and name first, then pieces of its arguments.
    const callIndex = new Map<string, number>();
    for (; !next.done; next = await parts.next()) {
        const part = next.value;
        if (part.type === "text-delta") await send(chunk({content: part.delta}));
        else if (part.type === "tool-input-start") {
            callIndex.set(part.id, callIndex.size);
            await send(chunk({tool_calls: [{index: callIndex.get(part.id)!, id: part.id, type: "function", function: {name: part.toolName, arguments: ""}}]}));
        } else if (part.type === "tool-input-delta") await send(chunk({tool_calls: [{index: callIndex.get(part.id)!, function: {arguments: part.delta}}]}));
        else if (part.type === "tool-call" && !callIndex.has(part.toolCallId)) {
            // A call that arrived whole (not streamed in pieces).
            callIndex.set(part.toolCallId, callIndex.size);
            await send(chunk({tool_calls: [{index: callIndex.get(part.toolCallId)!, id: part.toolCallId, type: "function", function: {name: part.toolName, arguments: part.input}}]}));
        } else if (part.type === "finish") {
            record.usage = part.usage;
            record.finishReason = part.finishReason;
            const shutdown = deps.abortError();
            // Cut short by shutdown: say so, rather than pass the cut text off as a whole answer.
            if (shutdown) {
                record.error = shutdown.code;
                await send(shutdown.toBody());
            } else await send({...chunk({}, toOpenAIFinishReason(part.finishReason)), usage: toOpenAIUsage(part.usage)});
        }
    }
    res.end("data: [DONE]\n\n");
}

/** Refuses tool requests the engine or the other settings cannot honour, with what to do instead. */
function checkTools(engine: PrismEngine, b: ChatCompletionRequest, offered: boolean): void {
    const choice = b.tool_choice;
    if (choice != null && choice !== "none" && choice !== "auto" && !b.tools?.length)
        throw new HttpError(400, "tool_choice requires tools: send the tools the model may call", "invalid_request_error", "invalid_value", "tool_choice");
    if (typeof choice === "object" && choice !== null && !b.tools!.some((t) => t.function.name === choice.function.name))
        throw new HttpError(400, `tool_choice names the function '${choice.function.name}', which is not among the tools`, "invalid_request_error", "invalid_value", "tool_choice");
    if (!offered) return;
    if (!engine.capabilities.tools)
        throw new HttpError(400, "tools are not supported by this server's model: its chat template has no function-calling syntax prism can drive; send the request without tools",
            "invalid_request_error", "unsupported", "tools");
    if ((b.response_format?.type ?? "text") !== "text") throw new HttpError(400, "tools with response_format are not supported by this server", "invalid_request_error", "unsupported", "response_format");
    if (b.logprobs === true) throw new HttpError(400, "logprobs with tools are not supported by this server", "invalid_request_error", "unsupported", "logprobs");
}

/** OpenAI's `logprobs.content` for `text`: teacher-forced along the answer on the model that wrote it. */
async function tokenLogprobs(deps: ChatCompletionsDeps, messages: ConversationMessage[], text: string, adapter: string | null, topK: number): Promise<TokenLogprob[]> {
    const walk = await deps.engine.topLogprobs({messages, response: text, k: Math.max(1, topK), adapter});
    const piece = (id: number) => {
        const token = deps.detokenize!([id]);
        return {token, bytes: Array.from(Buffer.from(token, "utf8"))};
    };
    return walk.tokens.map((t, i) => ({
        ...piece(t), logprob: walk.tokenLogprobs[i]!,
        top_logprobs: Array.from(walk.top[i]!.ids.slice(0, topK), (id, j) => ({...piece(id), logprob: walk.top[i]!.logprobs[j]!}))
    }));
}
