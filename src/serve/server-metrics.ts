import {collectDefaultMetrics, Counter, Gauge, Histogram, Registry} from "prom-client";
import type {RouteInfo} from "../engine/engine.js";

export type ServerMetricsOptions = {
    /** Also export Node's process metrics (CPU, memory, event-loop lag, GC). Defaults to `true`. */
    processMetrics?: boolean
};

/**
 * Every path the server answers; anything else gets a 404 and is counted as "other", so a scanner cannot blow up the
 * metrics' label set.
 */
export const KNOWN_PATHS: ReadonlySet<string> = new Set(["/v1/chat/completions", "/v1/embeddings", "/v1/models", "/health", "/metrics"]);

const LATENCY_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
const GATE_BUCKETS_S = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25];

/**
 * The server's Prometheus metrics, in a registry of its own (so several servers can live in one process). Served as
 * text at GET /metrics:
 *
 *   prism_http_requests_total{path,status}           requests answered
 *   prism_http_request_duration_seconds{path}        arrival to last byte (histogram)
 *   prism_routes_total{route,reason}                 chat completions by route (base|adapter) and reason (gate|reused|explicit)
 *   prism_gate_duration_seconds                      features + classifier, per gate decision (histogram)
 *   prism_gate_score                                 the gate's scores (histogram)
 *   prism_tokens_total{kind,route}                   prompt and completion tokens
 *   prism_queue_depth, prism_queue_depth_max         requests waiting for a slot now, and the most at once since start
 *   prism_queue_wait_seconds                         time from arrival to a slot (histogram)
 *   prism_active_requests, prism_max_concurrent_requests   requests holding a slot, and the limit
 */
export class ServerMetrics {
    readonly registry = new Registry();
    private readonly requests = new Counter({name: "prism_http_requests_total", help: "HTTP requests answered, by path and status", labelNames: ["path", "status"], registers: [this.registry]});
    private readonly duration = new Histogram({name: "prism_http_request_duration_seconds", help: "Time from a request's arrival to its last byte", labelNames: ["path"], buckets: LATENCY_BUCKETS_S, registers: [this.registry]});
    private readonly routes = new Counter({name: "prism_routes_total", help: "Chat completions by route (base or adapter) and why it was taken (gate, reused, explicit)", labelNames: ["route", "reason"], registers: [this.registry]});
    private readonly gateDuration = new Histogram({name: "prism_gate_duration_seconds", help: "Time of one gate decision (features and classifier)", buckets: GATE_BUCKETS_S, registers: [this.registry]});
    private readonly gateScore = new Histogram({name: "prism_gate_score", help: "The gate's score (probability that the adapter helps)", buckets: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1], registers: [this.registry]});
    private readonly tokens = new Counter({name: "prism_tokens_total", help: "Prompt and completion tokens, by route", labelNames: ["kind", "route"], registers: [this.registry]});
    private readonly queueDepth = new Gauge({name: "prism_queue_depth", help: "Requests waiting for a free slot", registers: [this.registry]});
    private readonly queueDepthMax = new Gauge({name: "prism_queue_depth_max", help: "The most requests that have waited for a slot at once since the server started", registers: [this.registry]});
    private readonly queueWait = new Histogram({name: "prism_queue_wait_seconds", help: "Time a request waited for a free slot", buckets: LATENCY_BUCKETS_S, registers: [this.registry]});
    private readonly active = new Gauge({name: "prism_active_requests", help: "Requests holding a slot (generating)", registers: [this.registry]});
    private readonly maxConcurrent = new Gauge({name: "prism_max_concurrent_requests", help: "Slots: requests served at once", registers: [this.registry]});
    private highWater = 0;

    constructor(options: ServerMetricsOptions = {}) {
        if (options.processMetrics ?? true) collectDefaultMetrics({register: this.registry});
    }

    get contentType(): string {
        return this.registry.contentType;
    }

    /** The metrics in Prometheus text format. */
    text(): Promise<string> {
        return this.registry.metrics();
    }

    observeRequest(path: string, status: number, seconds: number): void {
        const p = KNOWN_PATHS.has(path) ? path : "other";
        this.requests.inc({path: p, status: String(status)});
        this.duration.observe({path: p}, seconds);
    }

    observeRoute(route: RouteInfo): void {
        this.routes.inc({route: route.adapter === null ? "base" : "adapter", reason: route.reason});
        if (route.score !== null) this.gateScore.observe(route.score);
    }

    observeGate(seconds: number): void {
        this.gateDuration.observe(seconds);
    }

    observeTokens(route: RouteInfo | undefined, usage: {inputTokens: number, outputTokens: number}): void {
        const r = route?.adapter ? "adapter" : "base";
        this.tokens.inc({kind: "prompt", route: r}, usage.inputTokens);
        this.tokens.inc({kind: "completion", route: r}, usage.outputTokens);
    }

    observeQueueWait(seconds: number): void {
        this.queueWait.observe(seconds);
    }

    setQueue(state: {active: number, waiting: number}): void {
        this.active.set(state.active);
        this.queueDepth.set(state.waiting);
        if (state.waiting > this.highWater) {
            this.highWater = state.waiting;
            this.queueDepthMax.set(state.waiting);
        }
    }

    setMaxConcurrent(n: number): void {
        this.maxConcurrent.set(n);
    }
}
