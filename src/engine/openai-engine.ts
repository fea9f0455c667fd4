import {z} from "zod";
import {DisposedError} from "../util/disposed-error.js";
import {InterruptedError, type PrismError, ResourceError, UsageError} from "../util/prism-error.js";
import {collectStream} from "./collect-stream.js";
import type {
    AdapterInfo, ContinuationScore, EngineCapabilities, FinishReason, GenerateRequest, GenerateResult, ObjectRequest, ObjectResult,
    PrismEngine, PromptVectorRequest, StreamPart, TopLogprobsResult
} from "./engine.js";
import {NoSuchAdapterError, SchemaGenerationError} from "./engine-errors.js";
import {objectFromGeneration} from "./object-from-generation.js";
import {
    ChatCompletionChunkResponse, ChatCompletionResponse, EmbeddingResponse, fromOpenAIFinishReason, fromOpenAIUsage, toOpenAIMessage, toOpenAIToolChoice,
    toOpenAITools, type ChatCompletionRequest
} from "./openai-protocol.js";
import {resolveSampling} from "./sampling.js";
import {readServerSentEvents} from "./server-sent-events.js";
import {UnsupportedFeatureError} from "./unsupported-feature-error.js";

export type OpenAIEngineOptions = {
    /** The server's API root, e.g. `http://127.0.0.1:8080/v1`. Required. */
    baseURL: string,
    /** The server's model name for the base model. Required. */
    model: string,
    /** Sent as a bearer token. Defaults to `process.env.OPENAI_API_KEY`, else none. */
    apiKey?: string,
    /** Adapter name → the server's model name for it (vLLM's `--lora-modules name=path`, a llama-server alias). */
    adapters?: Record<string, string>,
    /** Per attempt, until the response headers (and for a non-streaming call, its body). Defaults to `120000`. */
    timeoutMs?: number,
    /** Retries of a 429, a 5xx or a network error, with exponential backoff (and Retry-After when sent). Defaults to `2`. */
    maxRetries?: number,
    /** Requests `generate` keeps in flight at once. Defaults to `8`. */
    concurrency?: number
};

const OpenAIEngineSettings = z.object({
    baseURL: z.url(),
    model: z.string().min(1),
    apiKey: z.string().optional(),
    adapters: z.record(z.string(), z.string()).default({}),
    timeoutMs: z.number().int().positive().default(120_000),
    maxRetries: z.number().int().min(0).max(10).default(2),
    concurrency: z.number().int().min(1).max(1024).default(8)
});

/** The first retry waits about this long; each next one twice as long. */
const BACKOFF_BASE_MS = 250;

/**
 * Any OpenAI-compatible chat-completions server (vLLM, llama-server, Ollama, OpenAI): the scale-out path. Adapters
 * are the server's model names. Log-probabilities of given text (scoring, top-k along a response) have no portable
 * API, so they throw `UnsupportedFeatureError`; prompt vectors come from the server's /embeddings, which embeds the
 * conversation's text (no chat template), so they are not the llama engine's hidden states unless the server is prism's.
 *
 * Plain `fetch` rather than the `openai` package: prism needs a few calls, its own error types and the servers'
 * extensions (top_k), and the retry and SSE code this takes is shorter than adapting the SDK's.
 */
export class OpenAIEngine implements PrismEngine {
    readonly specificationVersion = "v1";
    readonly engineId = "openai";
    /** `tools`: passed through; whether the server's model can call them is the server's to say. */
    readonly capabilities: EngineCapabilities = {logprobs: false, promptVector: true, jsonSchema: true, loadAdapter: true, tools: true};
    readonly modelId: string;
    private readonly settings: z.output<typeof OpenAIEngineSettings>;
    private readonly adapters: Map<string, string>;
    private _disposed = false;
    private readonly disposeController = new AbortController();

    constructor(options: OpenAIEngineOptions) {
        const parsed = OpenAIEngineSettings.safeParse({...options, apiKey: options.apiKey ?? process.env.OPENAI_API_KEY});
        if (!parsed.success) {
            const issue = parsed.error.issues[0]!;
            throw new UsageError(`OpenAIEngine option ${issue.path.join(".")}: ${issue.message}`);
        }
        this.settings = {...parsed.data, baseURL: parsed.data.baseURL.replace(/\/+$/, "")};
        this.modelId = parsed.data.model;
        this.adapters = new Map(Object.entries(parsed.data.adapters));
    }

    get disposed(): boolean {
        return this._disposed;
    }

    listAdapters(): AdapterInfo[] {
        return [...this.adapters.keys()].map((name) => ({name, scale: 1}));
    }

    /** Registers `name` for the server model `source`; nothing is sent to the server. */
    async loadAdapter(name: string, source: string, options: {scale?: number} = {}): Promise<AdapterInfo> {
        if (options.scale !== undefined && options.scale !== 1)
            throw new UnsupportedFeatureError("openai", "adapter scale", "the server applies its adapters at their own scale");
        this.adapters.set(name, source);
        return {name, scale: 1};
    }

    async generate(requests: readonly GenerateRequest[], options: {onProgress?(done: number, total: number): void} = {}): Promise<GenerateResult[]> {
        this.ensureAlive();
        const results: GenerateResult[] = new Array(requests.length);
        let next = 0, done = 0;
        const worker = async () => {
            while (next < requests.length) {
                const i = next++;
                results[i] = await collectStream(this.run(requests[i]!, false));
                options.onProgress?.(++done, requests.length);
            }
        };
        await Promise.all(Array.from({length: Math.min(this.settings.concurrency, requests.length)}, worker));
        return results;
    }

    stream(request: GenerateRequest): AsyncIterable<StreamPart> {
        this.ensureAlive();
        return this.run(request, true);
    }

    async generateObject<T = unknown>(request: ObjectRequest): Promise<ObjectResult<T>> {
        this.ensureAlive();
        const result = await collectStream(this.run(request, false, {type: "json_schema", json_schema: {name: "prism_object", schema: request.schema, strict: true}}));
        return objectFromGeneration<T>(result, request.schema, {notJsonHint: "the server may not enforce response_format json_schema (vLLM and llama-server do; check its version)"});
    }

    async scoreContinuations(): Promise<ContinuationScore[]> {
        throw new UnsupportedFeatureError("openai", "scoreContinuations", "the chat-completions API cannot return log-probabilities of given text",
            "score with the llama engine (--engine llama), which teacher-forces on the model itself");
    }

    async topLogprobs(): Promise<TopLogprobsResult> {
        throw new UnsupportedFeatureError("openai", "topLogprobs", "the chat-completions API cannot return log-probabilities along a given response",
            "use the llama engine (--engine llama) for distillation targets");
    }

    /** The server's /embeddings vector of the conversation text (a single user message is sent as it is). */
    async promptVector(request: PromptVectorRequest): Promise<Float32Array> {
        this.ensureAlive();
        const input = request.messages.length === 1 && request.messages[0]!.role === "user"
            ? request.messages[0]!.content
            : request.messages.map((m) => `${m.role}: ${m.content}`).join("\n");
        const response = await this.post("/embeddings", {model: this.serverModel(request.adapter ?? null), input}, undefined);
        if (response.status === 404)
            throw new UnsupportedFeatureError("openai", "promptVector", `the server has no /embeddings endpoint (${this.settings.baseURL})`, "start the server with embeddings enabled (llama-server --embeddings)");
        const body = EmbeddingResponse.safeParse(await this.readJson(response));
        if (!body.success) throw this.protocolError("/embeddings", body.error);
        return Float32Array.from(body.data.data[0]!.embedding);
    }

    async dispose(): Promise<void> {
        if (this._disposed) return;
        this._disposed = true;
        this.disposeController.abort(new DisposedError("OpenAIEngine"));
    }

    async [Symbol.asyncDispose](): Promise<void> {
        await this.dispose();
    }

    private async *run(request: GenerateRequest, streaming: boolean, responseFormat?: ChatCompletionRequest["response_format"]): AsyncGenerator<StreamPart> {
        const s = resolveSampling(request);
        if (request.adapterScale !== undefined)
            throw new UnsupportedFeatureError("openai", "adapterScale", "the server applies its adapters at their own scale");
        const adapter = request.adapter ?? null;
        const body: ChatCompletionRequest = {
            model: this.serverModel(adapter),
            messages: request.messages.map(toOpenAIMessage),
            temperature: s.temperature, top_p: s.topP, seed: s.seed, max_tokens: s.maxTokens,
            ...(s.topK > 0 ? {top_k: s.topK} : {}),
            ...(s.stop.length > 0 ? {stop: s.stop} : {}),
            ...(responseFormat ? {response_format: responseFormat} : {}),
            ...(request.tools?.length ? {tools: toOpenAITools(request.tools)} : {}),
            ...(request.toolChoice ? {tool_choice: toOpenAIToolChoice(request.toolChoice)} : {}),
            ...(streaming ? {stream: true, stream_options: {include_usage: true}} : {})
        };
        let finishReason: FinishReason = "stop";
        let usage = {inputTokens: 0, outputTokens: 0};
        try {
            const response = await this.post("/chat/completions", body, request.signal, {streaming});
            if (!response.ok) throw await this.httpError(response, "/chat/completions");
            if (!streaming) {
                const parsed = ChatCompletionResponse.safeParse(await this.readJson(response));
                if (!parsed.success) throw this.protocolError("/chat/completions", parsed.error);
                const choice = parsed.data.choices[0]!;
                if (choice.message.content) yield {type: "text-delta", delta: choice.message.content};
                for (const c of choice.message.tool_calls ?? []) yield {type: "tool-call", toolCallId: c.id, toolName: c.function.name, input: c.function.arguments};
                yield {type: "finish", finishReason: fromOpenAIFinishReason(choice.finish_reason), usage: fromOpenAIUsage(parsed.data.usage), adapter};
                return;
            }
            // Streamed tool calls come in pieces by index: the id and name first, then the arguments.
            const calls: {id: string, name: string, input: string}[] = [];
            for await (const data of readServerSentEvents(response.body!)) {
                if (data === "[DONE]") break;
                const json = JSON.parse(data) as unknown;
                if (typeof json === "object" && json !== null && "error" in json) throw this.errorFromBody(200, json, "/chat/completions");
                const chunk = ChatCompletionChunkResponse.safeParse(json);
                if (!chunk.success) throw this.protocolError("/chat/completions", chunk.error);
                const choice = chunk.data.choices[0];
                if (choice?.delta?.content) yield {type: "text-delta", delta: choice.delta.content};
                for (const d of choice?.delta?.tool_calls ?? []) {
                    let call = calls[d.index];
                    if (!call) {
                        if (!d.id || !d.function?.name) throw new ResourceError("E_PROTOCOL", `${this.settings.baseURL}/chat/completions streamed tool call ${d.index} without its id and name first`);
                        call = calls[d.index] = {id: d.id, name: d.function.name, input: ""};
                        yield {type: "tool-input-start", id: call.id, toolName: call.name};
                    }
                    if (d.function?.arguments) {
                        call.input += d.function.arguments;
                        yield {type: "tool-input-delta", id: call.id, delta: d.function.arguments};
                    }
                }
                if (choice?.finish_reason) finishReason = fromOpenAIFinishReason(choice.finish_reason);
                if (chunk.data.usage) usage = fromOpenAIUsage(chunk.data.usage);
            }
            for (const c of calls) if (c) yield {type: "tool-call", toolCallId: c.id, toolName: c.name, input: c.input};
        } catch (err) {
            if (!request.signal?.aborted) throw err;
            finishReason = "abort";
        }
        yield {type: "finish", finishReason, usage, adapter};
    }

    private serverModel(adapter: string | null): string {
        if (adapter == null) return this.settings.model;
        const name = this.adapters.get(adapter);
        if (name === undefined) throw new NoSuchAdapterError(adapter, [...this.adapters.keys()]);
        return name;
    }

    /**
     * POSTs JSON, retrying 429, 5xx and network errors with exponential backoff; other responses are returned as they
     * are. The timeout covers the headers, and for a non-streaming call the body too; a stream may run as long as it needs.
     */
    private async post(route: string, body: unknown, signal: AbortSignal | undefined, options: {streaming?: boolean} = {}): Promise<Response> {
        const url = this.settings.baseURL + route;
        for (let attempt = 0; ; attempt++) {
            this.ensureAlive();
            const timeout = new AbortController();
            const timer = setTimeout(() => timeout.abort(new DOMException(`no answer within ${this.settings.timeoutMs} ms`, "TimeoutError")), this.settings.timeoutMs);
            timer.unref();
            const signals = [this.disposeController.signal, timeout.signal, ...(signal ? [signal] : [])];
            let response: Response | undefined;
            let failure: unknown;
            try {
                response = await fetch(url, {
                    method: "POST", body: JSON.stringify(body), signal: AbortSignal.any(signals),
                    headers: {"content-type": "application/json", ...(this.settings.apiKey ? {authorization: `Bearer ${this.settings.apiKey}`} : {})}
                });
                if (options.streaming) clearTimeout(timer);
                if (response.status !== 429 && response.status < 500) return response;
            } catch (err) {
                if (signal?.aborted || this.disposeController.signal.aborted) throw err;
                failure = err;
            }
            if (attempt >= this.settings.maxRetries) {
                if (response) return response;
                const timedOut = (failure as Error)?.name === "TimeoutError";
                throw new ResourceError(timedOut ? "E_TIMEOUT" : "E_CONNECTION", timedOut
                    ? `${url} did not answer within ${this.settings.timeoutMs} ms (${attempt + 1} attempts)`
                    : `cannot reach ${url}: ${(failure as Error)?.message}${causeOf(failure)} (${attempt + 1} attempts)`, {
                    cause: failure, hint: "check that the server is running and the --url is right"
                });
            }
            const retryAfterS = Number(response?.headers.get("retry-after"));
            await response?.body?.cancel();
            const delayMs = Number.isFinite(retryAfterS) && retryAfterS > 0 ? retryAfterS * 1000 : BACKOFF_BASE_MS * 2 ** attempt * (0.5 + Math.random());
            await sleep(Math.min(delayMs, 30_000), signal);
        }
    }

    private async readJson(response: Response): Promise<unknown> {
        if (!response.ok) throw await this.httpError(response, new URL(response.url).pathname);
        try {
            return await response.json();
        } catch (err) {
            throw new ResourceError("E_PROTOCOL", `${response.url} did not return JSON: ${(err as Error).message}`, {cause: err});
        }
    }

    private async httpError(response: Response, route: string): Promise<PrismError> {
        const text = await response.text().catch(() => "");
        let json: unknown;
        try {
            json = JSON.parse(text);
        } catch {
            json = {error: {message: text.slice(0, 500) || response.statusText}};
        }
        return this.errorFromBody(response.status, json, route);
    }

    /** Maps an OpenAI error object to prism's errors: 4xx are the request's fault (usage), the rest the server's (resource). */
    private errorFromBody(status: number, json: unknown, route: string): PrismError {
        const error = (json as {error?: {message?: string, code?: string | null, prism?: {text?: unknown}}})?.error;
        const message = `${this.settings.baseURL}${route} answered ${status}: ${error?.message ?? JSON.stringify(json).slice(0, 500)}`;
        if (error?.code === "model_not_found" || status === 404)
            return new UsageError(message, {hint: "check --model and the adapter names against the server's GET /v1/models", details: {status}});
        if (error?.code === "E_SCHEMA_GENERATION") return new SchemaGenerationError(message, typeof error.prism?.text === "string" ? error.prism.text : "");
        if (status >= 400 && status < 500 && status !== 429) return new UsageError(message, {details: {status}});
        return new ResourceError("E_SERVER", message, {details: {status}, hint: "the server failed; see its log"});
    }

    private protocolError(route: string, error: z.ZodError): ResourceError {
        const issue = error.issues[0]!;
        return new ResourceError("E_PROTOCOL", `${this.settings.baseURL}${route} returned an unexpected body: ${issue.path.join(".")}: ${issue.message}`, {
            hint: "the server does not speak the OpenAI API as expected"
        });
    }

    private ensureAlive(): void {
        if (this._disposed) throw new DisposedError("OpenAIEngine");
    }
}

function causeOf(err: unknown): string {
    const cause = (err as {cause?: {code?: string, message?: string}})?.cause;
    return cause ? ` (${cause.code ?? cause.message})` : "";
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
        const timer = setTimeout(resolve, ms);
        signal?.addEventListener("abort", () => {
            clearTimeout(timer);
            reject(new InterruptedError("request aborted while waiting to retry"));
        }, {once: true});
    });
}
