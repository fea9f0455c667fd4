import type http from "node:http";
import type {FinishReason, RouteInfo, Usage} from "../engine/engine.js";

/** What one request's handling found out, for its access-log line and metrics. */
export type RequestRecord = {
    model: string | null,
    stream: boolean,
    route: RouteInfo | null,
    usage: Usage | null,
    finishReason: FinishReason | null,
    queueWaitMs: number | null,
    gateMs: number | null,
    /** The OpenAI error code the request was answered with. */
    error: string | null
};

/** One request as the route handlers see it. */
export type ServeRequest = {
    req: http.IncomingMessage,
    res: http.ServerResponse,
    /** Aborted when the client goes away, or when shutdown stops waiting for the request. */
    signal: AbortSignal,
    record: RequestRecord
};

export function emptyRecord(): RequestRecord {
    return {model: null, stream: false, route: null, usage: null, finishReason: null, queueWaitMs: null, gateMs: null, error: null};
}
