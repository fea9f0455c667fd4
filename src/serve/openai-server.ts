import crypto from "node:crypto";
import http from "node:http";
import type {AddressInfo} from "node:net";
import type {ChatMessage, GenerateRequest, PrismEngine} from "../engine/engine.js";
import {
    type ChatCompletion, type ChatCompletionChunk, ChatCompletionRequest, messageText, type OpenAIErrorBody, type OpenAIFinishReason, toOpenAIFinishReason, toOpenAIUsage, type TokenLogprob
} from "../engine/openai-protocol.js";
import {PrismError, ResourceError} from "../util/prism-error.js";

export type OpenAIServerOptions = {
    /** The engine that answers; usually a wrapped engine (defaults, gate routing). */
    engine: PrismEngine,
    /** The model name that selects the base model; each adapter is selectable by its own name. Defaults to `engine.modelId`. */
    modelName?: string,
    /** Defaults to `"127.0.0.1"`. */
    host?: string,
    /** `0` picks a free port. Defaults to `8080`. */
    port?: number,
    /** Token ids to text, for `logprobs` (the llama engine's `chatTokenizer.detokenize`); without it `logprobs` is refused. */
    detokenize?(tokens: readonly number[]): string,
    /** Largest accepted request body. Defaults to 4 MiB. */
    maxBodyBytes?: number
};

/**
 * An OpenAI-compatible HTTP server over any `PrismEngine`: POST /v1/chat/completions (JSON or SSE streaming,
 * `response_format` json_schema, `logprobs`), POST /v1/embeddings (the engine's prompt vector), GET /v1/models
 * (the base model and each adapter as a model), GET /health. Errors are OpenAI error objects.
 */
export class OpenAIServer {
    private constructor(private readonly server: http.Server, readonly host: string, readonly port: number) {}

    static async start(options: OpenAIServerOptions): Promise<OpenAIServer> {
        const server = http.createServer(createOpenAIHandler(options));
        const host = options.host ?? "127.0.0.1";
        await new Promise<void>((resolve, reject) => {
            server.once("error", (err: NodeJS.ErrnoException) => reject(new ResourceError("E_PORT", `cannot listen on ${host}:${options.port ?? 8080}: ${err.message}`, {
                cause: err, hint: err.code === "EADDRINUSE" ? "another process uses the port: choose another with --port" : undefined
            })));
            server.listen(options.port ?? 8080, host, () => resolve());
        });
        return new OpenAIServer(server, host, (server.address() as AddressInfo).port);
    }

    get url(): string {
        return `http://${this.host.includes(":") ? `[${this.host}]` : this.host}:${this.port}`;
    }

    /** Stops accepting connections and ends idle ones; resolves when every open request has finished. */
    async close(): Promise<void> {
        if (!this.server.listening) return;
        await new Promise<void>((resolve) => {
            this.server.close(() => resolve());
            this.server.closeIdleConnections();
        });
    }

    async [Symbol.asyncDispose](): Promise<void> {
        await this.close();
    }
}

class HttpError extends Error {
    constructor(readonly status: number, message: string, readonly type: string, readonly code: string | null = null, readonly param: string | null = null) {
        super(message);
    }
}

/** The request handler, for embedding in another http server. */
export function createOpenAIHandler(options: OpenAIServerOptions): http.RequestListener {
    const {engine} = options;
    const baseName = options.modelName ?? engine.modelId;
    const maxBody = options.maxBodyBytes ?? 4 * 1024 * 1024;

    const adapterFor = (model: string): string | null => {
        if (model === baseName) return null;
        if (engine.listAdapters().some((a) => a.name === model)) return model;
        throw new HttpError(404, `The model '${model}' does not exist (this server has ${[baseName, ...engine.listAdapters().map((a) => a.name)].join(", ")})`,
            "invalid_request_error", "model_not_found", "model");
    };

    const chatCompletions = async (req: http.IncomingMessage, res: http.ServerResponse, signal: AbortSignal) => {
        const body = ChatCompletionRequest.safeParse(await readJson(req, maxBody));
        if (!body.success) {
            const issue = body.error.issues[0]!;
            throw new HttpError(400, `Invalid request: ${issue.path.join(".") || "body"}: ${issue.message}`, "invalid_request_error", "invalid_value", issue.path.join(".") || null);
        }
        const b = body.data;
        const adapter = adapterFor(b.model);
        const stop = b.stop == null ? undefined : typeof b.stop === "string" ? [b.stop] : b.stop;
        const request: GenerateRequest = {
            messages: b.messages.map((m): ChatMessage => ({role: m.role === "developer" ? "system" : m.role, content: messageText(m.content)})),
            adapter, signal, stop,
            temperature: b.temperature ?? undefined, topP: b.top_p ?? undefined, topK: b.top_k ?? undefined, seed: b.seed ?? undefined,
            maxTokens: b.max_completion_tokens ?? b.max_tokens ?? undefined
        };
        const id = `chatcmpl-${crypto.randomUUID()}`;
        const created = Math.floor(Date.now() / 1000);
        const format = b.response_format?.type ?? "text";
        const wantLogprobs = b.logprobs === true;
        if (wantLogprobs && (!engine.capabilities.logprobs || !options.detokenize))
            throw new HttpError(400, "logprobs are not supported by this server's engine", "invalid_request_error", "unsupported", "logprobs");

        if (b.stream) {
            if (format !== "text") throw new HttpError(400, "response_format with stream is not supported by this server", "invalid_request_error", "unsupported", "response_format");
            if (wantLogprobs) throw new HttpError(400, "logprobs with stream is not supported by this server", "invalid_request_error", "unsupported", "logprobs");
            const parts = engine.stream(request)[Symbol.asyncIterator]();
            // The first part is awaited before the headers go out, so a bad request still gets a proper error status.
            let next = await parts.next();
            res.writeHead(200, {"content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive"});
            const send = (chunk: ChatCompletionChunk) => res.write(`data: ${JSON.stringify(chunk)}\n\n`);
            const chunk = (delta: ChatCompletionChunk["choices"][0]["delta"], finish: OpenAIFinishReason = null): ChatCompletionChunk =>
                ({id, object: "chat.completion.chunk", created, model: b.model, choices: [{index: 0, delta, finish_reason: finish}]});
            send(chunk({role: "assistant", content: ""}));
            for (; !next.done; next = await parts.next()) {
                const part = next.value;
                if (part.type === "text-delta") send(chunk({content: part.delta}));
                else if (part.type === "finish")
                    send({...chunk({}, toOpenAIFinishReason(part.finishReason)), usage: toOpenAIUsage(part.usage)});
            }
            res.end("data: [DONE]\n\n");
            return;
        }

        let text: string, finishReason: OpenAIFinishReason, usage;
        if (format === "text") {
            const [r] = await engine.generate([request]);
            ({text, usage} = r!);
            finishReason = toOpenAIFinishReason(r!.finishReason);
        } else {
            const schema = b.response_format?.type === "json_schema" ? b.response_format.json_schema.schema : {type: "object"};
            const r = await engine.generateObject({...request, schema});
            ({text, usage} = r);
            finishReason = "stop";
        }
        let logprobs: {content: TokenLogprob[]} | null = null;
        if (wantLogprobs) {
            const k = Math.max(1, b.top_logprobs ?? 1);
            const walk = await engine.topLogprobs({messages: request.messages, response: text, k, adapter});
            const piece = (id: number) => {
                const token = options.detokenize!([id]);
                return {token, bytes: Array.from(Buffer.from(token, "utf8"))};
            };
            logprobs = {content: walk.tokens.map((t, i) => ({
                ...piece(t), logprob: walk.tokenLogprobs[i]!,
                top_logprobs: Array.from(walk.top[i]!.ids.slice(0, b.top_logprobs ?? 0), (tid, j) => ({...piece(tid), logprob: walk.top[i]!.logprobs[j]!}))
            }))};
        }
        const completion: ChatCompletion = {
            id, object: "chat.completion", created, model: b.model,
            choices: [{index: 0, message: {role: "assistant", content: text}, finish_reason: finishReason, logprobs}],
            usage: toOpenAIUsage(usage)
        };
        sendJson(res, 200, completion);
    };

    const embeddings = async (req: http.IncomingMessage, res: http.ServerResponse) => {
        const body = await readJson(req, maxBody) as {model?: unknown, input?: unknown};
        if (typeof body?.model !== "string") throw new HttpError(400, "Invalid request: model: expected a string", "invalid_request_error", "invalid_value", "model");
        const inputs = typeof body.input === "string" ? [body.input] : Array.isArray(body.input) && body.input.every((x) => typeof x === "string") ? body.input as string[] : null;
        if (!inputs || inputs.length === 0) throw new HttpError(400, "Invalid request: input: expected a string or an array of strings", "invalid_request_error", "invalid_value", "input");
        const adapter = adapterFor(body.model);
        const data = [];
        for (const [index, input] of inputs.entries()) {
            const vector = await engine.promptVector({messages: [{role: "user", content: input}], adapter});
            data.push({object: "embedding", index, embedding: Array.from(vector)});
        }
        sendJson(res, 200, {object: "list", data, model: body.model, usage: {prompt_tokens: 0, total_tokens: 0}});
    };

    return (req, res) => {
        const controller = new AbortController();
        // The client went away: stop generating for it.
        res.on("close", () => {
            if (!res.writableFinished) controller.abort();
        });
        const url = new URL(req.url ?? "/", "http://localhost");
        const route = `${req.method} ${url.pathname.replace(/\/+$/, "")}`;
        const handle = async () => {
            switch (route) {
                case "GET /health": return sendJson(res, 200, {status: "ok"});
                case "GET /v1/models": return sendJson(res, 200, {
                    object: "list",
                    data: [baseName, ...engine.listAdapters().map((a) => a.name)].map((id) => ({id, object: "model", created: 0, owned_by: "prism"}))
                });
                case "POST /v1/chat/completions": return chatCompletions(req, res, controller.signal);
                case "POST /v1/embeddings": return embeddings(req, res);
                default:
                    if (["/health", "/v1/models", "/v1/chat/completions", "/v1/embeddings"].includes(url.pathname))
                        throw new HttpError(405, `Method ${req.method} is not allowed on ${url.pathname}`, "invalid_request_error", "method_not_allowed");
                    throw new HttpError(404, `Unknown route ${req.method} ${url.pathname}`, "invalid_request_error", "not_found");
            }
        };
        handle().catch((err: unknown) => {
            const e = toHttpError(err);
            if (res.headersSent) {
                // Mid-stream: the status is gone, so the error travels as an event.
                res.end(`data: ${JSON.stringify(errorBody(e))}\n\n`);
                return;
            }
            if (e.status >= 500) process.stderr.write(`prism serve: ${err instanceof Error ? err.stack : String(err)}\n`);
            sendJson(res, e.status, errorBody(e));
        });
    };
}

function toHttpError(err: unknown): HttpError {
    if (err instanceof HttpError) return err;
    if (PrismError.isInstance(err)) {
        if (err.code === "E_UNSUPPORTED") return new HttpError(400, err.message, "invalid_request_error", "unsupported");
        if (err.kind === "usage" || err.kind === "input") return new HttpError(400, err.message, "invalid_request_error", err.code);
        if (err.code === "E_SCHEMA_GENERATION") return new HttpError(422, err.message, "invalid_response_error", err.code);
        if (err.kind === "resource") return new HttpError(503, err.message, "server_error", err.code);
        return new HttpError(500, err.message, "server_error", err.code);
    }
    return new HttpError(500, `Internal error: ${err instanceof Error ? err.message : String(err)}`, "server_error", "internal_error");
}

function errorBody(e: HttpError): OpenAIErrorBody {
    return {error: {message: e.message, type: e.type, param: e.param, code: e.code}};
}

function sendJson(res: http.ServerResponse, status: number, value: unknown): void {
    const body = JSON.stringify(value);
    res.writeHead(status, {"content-type": "application/json", "content-length": Buffer.byteLength(body)});
    res.end(body);
}

async function readJson(req: http.IncomingMessage, maxBytes: number): Promise<unknown> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > maxBytes) throw new HttpError(413, `Request body larger than ${maxBytes} bytes`, "invalid_request_error", "body_too_large");
        chunks.push(chunk);
    }
    try {
        return JSON.parse(Buffer.concat(chunks).toString("utf8"));
    } catch (err) {
        throw new HttpError(400, `We could not parse the JSON body of your request (${(err as Error).message})`, "invalid_request_error", "invalid_json");
    }
}
