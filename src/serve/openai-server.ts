import crypto from "node:crypto";
import http from "node:http";
import type {AddressInfo, Socket} from "node:net";
import type {ConversationMessage, PrismEngine, RouteInfo} from "../engine/engine.js";
import {ResourceError} from "../util/prism-error.js";
import type {AccessLog, AccessLogEntry} from "./access-log.js";
import {hasApiKey} from "./api-key.js";
import {chatCompletions} from "./chat-completions.js";
import {embeddings} from "./embeddings.js";
import {HttpError, toHttpError} from "./http-error.js";
import {answerPreflight, checkHostHeader, corsHeaders, isLoopbackHost} from "./browser-guards.js";
import {InFlightRequests} from "./in-flight-requests.js";
import {sendJson} from "./json-response.js";
import {RequestQueue} from "./request-queue.js";
import {type ServedModel, ServedModels} from "./served-models.js";
import {emptyRecord, type RequestRecord, type ServeRequest} from "./serve-request.js";
import {KNOWN_PATHS, ServerMetrics} from "./server-metrics.js";

export type OpenAIServerOptions = {
    /** The engine that generates (embedded llama.cpp, or an upstream server through `OpenAIEngine`). */
    engine: PrismEngine,
    /** The model name clients ask for: routed answers with `routing`, else the base model. Defaults to `engine.modelId`. */
    modelName?: string,
    /**
     * Routing through a gate: `modelName` is answered by the base model or `adapter` as `decide` chooses (a `Router`'s
     * `decide`), and the names `base` and `adapter` pick one explicitly. Without it, `modelName` is the base model.
     */
    routing?: {adapter: string, decide(messages: readonly ConversationMessage[]): Promise<RouteInfo>},
    /** Defaults to `"127.0.0.1"` (this machine only). */
    host?: string,
    /** `0` picks a free port. Defaults to `8080`. */
    port?: number,
    /** Token ids to text, for `logprobs` (the llama engine's `chatTokenizer.detokenize`); without it `logprobs` is refused. */
    detokenize?(tokens: readonly number[]): string,
    /** Every request but GET /health must carry `Authorization: Bearer <apiKey>`. Defaults to none (no check). */
    apiKey?: string,
    /** Largest accepted request body. Defaults to 1 MiB. */
    maxBodyBytes?: number,
    /** Requests generating at once; more wait in a FIFO queue. Defaults to the engine's `parallel` when it has one, else `4`. */
    maxConcurrent?: number,
    /** Requests that may wait; beyond it the answer is 429. Defaults to `128`. */
    maxQueue?: number,
    /** The longest wait for a slot; then 503. Defaults to `60000`. */
    queueTimeoutMs?: number,
    /** Where each request's JSON line goes. Defaults to nowhere. */
    accessLog?: AccessLog,
    /** Defaults to a fresh `ServerMetrics`. */
    metrics?: ServerMetrics,
    /** A client must send its headers within this. Defaults to `10000`, or `requestTimeoutMs` when that is shorter. */
    headersTimeoutMs?: number,
    /** A client must send its whole request (headers and body) within this. Defaults to `30000`. */
    requestTimeoutMs?: number,
    /** A streaming client that reads nothing for this long is disconnected, freeing its slot. Defaults to `60000`. */
    stalledReaderTimeoutMs?: number,
    /**
     * Browser origins (`http://localhost:3000`, or `*`) allowed to call the server: their preflights (OPTIONS) are
     * answered before the key check and answers carry `Access-Control-*` headers. Defaults to none.
     */
    corsOrigins?: readonly string[],
    /**
     * On loopback, Host names answered besides localhost and loopback addresses (a reverse proxy on this machine that
     * forwards its own Host); `*` answers any. Defaults to none.
     */
    allowedHosts?: readonly string[]
};

export type ShutdownResult = {
    /** Every request in flight finished within the bound. */
    drained: boolean,
    /** Requests cancelled when the bound passed. */
    aborted: number
};

/** The request listener with what the server around it needs for metrics and shutdown. */
export type OpenAIHandler = http.RequestListener & {
    readonly models: ServedModels,
    readonly metrics: ServerMetrics,
    readonly queue: RequestQueue,
    readonly inFlight: InFlightRequests,
    /** From now on new requests get 503 `shutting_down`, and answers close their connections. */
    startDraining(): void,
    /** The server's `clientError` listener: requests Node could not parse, or that timed out, get an OpenAI error. */
    clientError(err: NodeJS.ErrnoException, socket: Socket): void,
    readonly draining: boolean
};

const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
const DEFAULT_SHUTDOWN_TIMEOUT_MS = 10_000;
/** After cancelling what was left at shutdown, how long the cancelled requests get to send their error. */
const ABORT_GRACE_MS = 1000;

/**
 * prism's OpenAI-compatible HTTP server over any `PrismEngine`: POST /v1/chat/completions (JSON or SSE, routed through
 * the gate), POST /v1/embeddings, GET /v1/models, GET /health, GET /metrics (Prometheus). Bounded concurrency with a
 * FIFO queue, API-key check, body limits, OpenAI error objects, an access log, and graceful shutdown.
 */
export class OpenAIServer {
    private closing?: Promise<ShutdownResult>;

    private constructor(private readonly server: http.Server, private readonly handler: OpenAIHandler, readonly host: string, readonly port: number) {}

    static async start(options: OpenAIServerOptions): Promise<OpenAIServer> {
        const handler = createOpenAIHandler(options);
        const headersTimeout = options.headersTimeoutMs ?? Math.min(10_000, options.requestTimeoutMs ?? 10_000);
        const requestTimeout = Math.max(options.requestTimeoutMs ?? 30_000, headersTimeout);
        const server = http.createServer({
            headersTimeout, requestTimeout,
            // Node checks those timeouts every 30 s by default, far too coarse for a 10 s bound.
            connectionsCheckingInterval: Math.max(50, Math.min(1000, headersTimeout / 4))
        }, handler);
        server.on("clientError", (err: NodeJS.ErrnoException, socket: Socket) => handler.clientError(err, socket));
        const host = options.host ?? "127.0.0.1";
        const port = options.port ?? 8080;
        await new Promise<void>((resolve, reject) => {
            server.once("error", (err: NodeJS.ErrnoException) => reject(new ResourceError("E_PORT", `cannot listen on ${host}:${port}: ${err.message}`, {
                cause: err, hint: err.code === "EADDRINUSE" ? "another process uses the port: choose another with --port" : "check --host and --port"
            })));
            server.listen(port, host, () => resolve());
        });
        return new OpenAIServer(server, handler, host, (server.address() as AddressInfo).port);
    }

    get url(): string {
        return `http://${this.host.includes(":") ? `[${this.host}]` : this.host}:${this.port}`;
    }

    get metrics(): ServerMetrics {
        return this.handler.metrics;
    }

    /** The model names it answers to (GET /v1/models). */
    get models(): ServedModel[] {
        return this.handler.models.list();
    }

    /**
     * Graceful shutdown: stops accepting connections, answers new requests on open ones with 503, and waits up to
     * `timeoutMs` for the requests in flight (queued ones included) to finish. Past that, it cancels them (a stream
     * gets an error event) and closes every connection. Calling it again returns the same promise.
     */
    shutdown(options: {timeoutMs?: number} = {}): Promise<ShutdownResult> {
        this.closing ??= (async () => {
            this.handler.startDraining();
            const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
            this.server.closeIdleConnections();
            const drained = await this.handler.inFlight.waitIdle(options.timeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS);
            let aborted = 0;
            if (!drained) {
                aborted = this.handler.inFlight.abortAll(new Error("server shutting down"));
                await this.handler.inFlight.waitIdle(ABORT_GRACE_MS);
            }
            this.server.closeAllConnections();
            await closed;
            return {drained, aborted};
        })();
        return this.closing;
    }

    /** `shutdown()` with its default bound (10 s). */
    async close(): Promise<void> {
        await this.shutdown();
    }

    async [Symbol.asyncDispose](): Promise<void> {
        await this.close();
    }
}

/** The request listener, for embedding in another http server (which then owns timeouts and shutdown). */
export function createOpenAIHandler(options: OpenAIServerOptions): OpenAIHandler {
    const {engine, accessLog} = options;
    const metrics = options.metrics ?? new ServerMetrics();
    const maxConcurrent = options.maxConcurrent ?? parallelOf(engine) ?? 4;
    const queue = new RequestQueue({maxConcurrent, maxQueue: options.maxQueue, timeoutMs: options.queueTimeoutMs, onChange: (s) => metrics.setQueue(s)});
    metrics.setMaxConcurrent(maxConcurrent);
    const models = new ServedModels({modelName: options.modelName ?? engine.modelId, adapters: engine.listAdapters().map((a) => a.name), routedAdapter: options.routing?.adapter});
    const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    const inFlight = new InFlightRequests();
    const boundToLoopback = isLoopbackHost(options.host ?? "127.0.0.1");
    const corsOrigins = options.corsOrigins ?? [];
    const allowedHosts = (options.allowedHosts ?? []).map((h) => h.toLowerCase());
    /** The request each socket is serving, so an error Node answers on the socket (a body too slow, malformed chunks) is recorded on its request. */
    const serving = new WeakMap<Socket, {answered: {status: number, code: string} | null}>();
    let draining = false;

    const shuttingDown = () => new HttpError(503, "The server is shutting down", "server_error", "shutting_down", null, {connection: "close"});

    const listener: http.RequestListener = (req, res) => {
        const started = performance.now();
        const time = new Date().toISOString();
        const id = requestId(req.headers["x-request-id"]);
        // Read now: once the connection is gone, req.socket is null.
        const socket = req.socket as Socket | null;
        const remote = socket?.remoteAddress ?? null;
        const state: {answered: {status: number, code: string} | null} = {answered: null};
        if (socket) serving.set(socket, state);
        res.setHeader("x-request-id", id);
        for (const [name, value] of Object.entries(corsHeaders(req.headers.origin, corsOrigins))) res.setHeader(name, value);
        const path = pathOf(req.url);
        const controller = new AbortController();
        const record = emptyRecord();
        let clientGone = false;
        const done = inFlight.add(controller);
        if (draining) res.setHeader("connection", "close");
        let status = 0;
        const closed = new Promise<void>((resolve) => res.on("close", () => {
            if (!res.writableFinished) {
                clientGone = true;
                controller.abort(new Error(state.answered ? "the request failed on its connection" : "client closed the connection"));
            }
            // A body too slow to arrive (408) or malformed (400) was answered on the socket (clientError), not through `res`.
            status = state.answered?.status ?? (res.writableFinished ? res.statusCode : 499);
            if (socket && serving.get(socket) === state) serving.delete(socket);
            resolve();
        }));
        /** Why the request's work was cancelled when the client is still there: shutdown gave up waiting. */
        const abortError = () => (controller.signal.aborted && !clientGone ? shuttingDown() : null);
        const request: ServeRequest = {req, res, signal: controller.signal, record};

        const handle = async () => {
            if (draining) throw shuttingDown();
            checkHostHeader(req, boundToLoopback, allowedHosts);
            if (req.method === "OPTIONS" && isServedPath(path)) return answerPreflight(req, res, corsOrigins);
            if (options.apiKey !== undefined && path !== "/health" && !hasApiKey(req.headers.authorization, options.apiKey)) {
                throw new HttpError(401, "Incorrect or missing API key: send it as 'Authorization: Bearer <key>'", "authentication_error", "invalid_api_key", null, {"www-authenticate": "Bearer"});
            }
            switch (`${req.method} ${path}`) {
                case "GET /health": return sendJson(res, 200, {status: "ok"});
                case "GET /metrics": {
                    const text = await metrics.text();
                    res.writeHead(200, {"content-type": metrics.contentType, "content-length": String(Buffer.byteLength(text))});
                    res.end(text);
                    return;
                }
                case "GET /v1/models": return sendJson(res, 200, {object: "list", data: models.list()});
                case "POST /v1/chat/completions":
                    return chatCompletions({
                        engine, models, decide: options.routing?.decide, queue, metrics, detokenize: options.detokenize, maxBodyBytes, abortError,
                        stalledReaderTimeoutMs: options.stalledReaderTimeoutMs ?? 60_000
                    }, request);
                case "POST /v1/embeddings": return embeddings({engine, models, queue, metrics, maxBodyBytes}, request);
                default:
                    // A model id may hold a slash (org/name), so everything after the prefix is the id.
                    if (path.startsWith("/v1/models/") && req.method === "GET") return sendJson(res, 200, models.retrieve(decodePathSegment(path.slice("/v1/models/".length))));
                    if (isServedPath(path))
                        throw new HttpError(405, `Method ${req.method} is not allowed on ${path}`, "invalid_request_error", "method_not_allowed");
                    throw new HttpError(404, `Unknown route ${req.method} ${path}`, "invalid_request_error", "not_found");
            }
        };
        const handled = handle().catch((err: unknown) => {
            if (clientGone) {
                record.error = "client_closed";
                return;
            }
            const e = abortError() ?? toHttpError(err);
            record.error = e.code ?? e.type;
            if (res.headersSent) {
                // Mid-stream: the status is gone, so the error travels as an event.
                if (!res.writableEnded) res.end(`data: ${JSON.stringify(e.toBody())}\n\ndata: [DONE]\n\n`);
                return;
            }
            if (e.status >= 500 && e.code === "internal_error") process.stderr.write(`prism serve: ${err instanceof Error ? err.stack : String(err)}\n`);
            if (res.destroyed) return;
            // A body refused part-way (or not read at all) is not drained: close the connection after the answer.
            sendJson(res, e.status, e.toBody(), e.status === 413 || e.status === 415 ? {...e.headers, connection: "close"} : e.headers);
        });
        // A request is done when its answer has gone (or its client has) and its work has stopped: only then is its
        // slot free, its generation's token count known, and its log line complete.
        // Nothing here may reject unhandled: an unhandled rejection ends the process, and no request may do that.
        void Promise.allSettled([handled, closed]).then(() => {
            done();
            try {
                if (state.answered) record.error = state.answered.code;
                else if (status === 499) record.error ??= "client_closed";
                const latencyMs = performance.now() - started;
                metrics.observeRequest(path, status, latencyMs / 1000);
                if (record.usage) metrics.observeTokens(record.route ?? undefined, record.usage);
                accessLog?.write(accessLogLine({time, id, method: req.method ?? "", path, status, record, latencyMs, remote}));
            } catch (err) {
                process.stderr.write(`prism serve: could not record request ${id}: ${err instanceof Error ? err.stack : String(err)}\n`);
            }
        });
    };
    /**
     * A request Node could not parse (oversized headers, a malformed request line, a client too slow to send its
     * request) is answered with an OpenAI error object, like every other error, then its connection is closed. A
     * request already being handled (its body too slow, say) is recorded, and counted, by its handler instead.
     */
    const clientError = (err: NodeJS.ErrnoException, socket: Socket): void => {
        // Reset, or ended part-way through its request (EOF): the client has gone, there is no one to answer (499).
        if (err.code === "ECONNRESET" || err.code === "HPE_INVALID_EOF_STATE" || !socket.writable) {
            socket.destroy();
            return;
        }
        const [status, code, message] = err.code === "HPE_HEADER_OVERFLOW" ? [431, "headers_too_large", "The request headers are too large"]
            : err.code === "ERR_HTTP_REQUEST_TIMEOUT" ? [408, "request_timeout", "The request was not received in time"]
                : [400, "bad_request", `The request is not valid HTTP (${err.code ?? err.message})`];
        const request = serving.get(socket);
        if (request) request.answered = {status, code};
        const body = JSON.stringify(new HttpError(status, message, "invalid_request_error", code).toBody());
        socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
        if (!request) metrics.observeRequest("other", status, 0);
    };
    // defineProperty, not Object.assign, which would copy the getter's value once.
    return Object.defineProperty(Object.assign(listener, {
        models, metrics, queue, inFlight, clientError,
        startDraining: () => {
            draining = true;
        }
    }), "draining", {get: () => draining}) as OpenAIHandler;
}

function accessLogLine(r: {time: string, id: string, method: string, path: string, status: number, record: RequestRecord, latencyMs: number, remote: string | null}): AccessLogEntry {
    const {record} = r, {route} = record;
    const round = (ms: number | null) => (ms === null ? null : Math.round(ms * 100) / 100);
    return {
        time: r.time, id: r.id, method: r.method, path: r.path, status: r.status, model: record.model,
        route: route ? (route.adapter === null ? "base" : "adapter") : null,
        adapter: route?.adapter ?? null, gate_score: route?.score ?? null, reason: route?.reason ?? null,
        stream: record.stream, prompt_tokens: record.usage?.inputTokens ?? null, completion_tokens: record.usage?.outputTokens ?? null,
        finish_reason: record.finishReason, latency_ms: round(r.latencyMs)!, queue_wait_ms: round(record.queueWaitMs), gate_ms: round(record.gateMs),
        error: record.error, remote: r.remote
    };
}

/** A percent-encoded path segment's text; malformed escapes stay as sent. */
function decodePathSegment(text: string): string {
    try {
        return decodeURIComponent(text);
    } catch {
        return text;
    }
}

/** A path some method is served on: the fixed routes and each model's `/v1/models/{id}`. */
function isServedPath(path: string): boolean {
    return KNOWN_PATHS.has(path) || path.startsWith("/v1/models/");
}

/** The request's path without query or trailing slash; never throws, whatever the client sent. */
function pathOf(url = "/"): string {
    let path = url.split("?", 1)[0]!;
    if (!path.startsWith("/")) {
        try {
            path = new URL(path).pathname; // absolute-form, as sent to proxies
        } catch {
            path = "/";
        }
    }
    return path.replace(/(.)\/+$/, "$1");
}

/** The client's request id when it is a sane token, else a fresh one. */
function requestId(header: string | string[] | undefined): string {
    return typeof header === "string" && /^[\w.:@-]{1,128}$/.test(header) ? header : `req-${crypto.randomUUID()}`;
}

function parallelOf(engine: PrismEngine): number | undefined {
    const parallel = (engine as {parallel?: unknown}).parallel;
    return typeof parallel === "number" && parallel >= 1 ? parallel : undefined;
}
