import {PrismError} from "../util/prism-error.js";
import type {OpenAIErrorBody} from "../engine/openai-protocol.js";

/** OpenAI's error `type`s that prism's server answers with. */
export type OpenAIErrorType = "invalid_request_error" | "authentication_error" | "rate_limit_error" | "server_error" | "invalid_response_error";

/** An error answered as an OpenAI error object with an HTTP status (and, for some, extra headers such as Retry-After). */
export class HttpError extends Error {
    constructor(
        readonly status: number,
        message: string,
        readonly type: OpenAIErrorType,
        readonly code: string | null = null,
        readonly param: string | null = null,
        readonly headers: Record<string, string> = {},
        /** Sent as the error's `prism` field (the text of a failed schema-constrained generation). */
        readonly prism?: {text: string}
    ) {
        super(message);
    }

    toBody(): OpenAIErrorBody {
        return {error: {message: this.message, type: this.type, param: this.param, code: this.code, ...(this.prism ? {prism: this.prism} : {})}};
    }
}

/**
 * Any error to the HTTP answer a client should get. prism's own errors map by kind: the request's fault (usage, bad
 * input) is 400, a busy or failing resource 503 (a full queue 429, so clients back off and retry), a bug 500.
 */
export function toHttpError(err: unknown): HttpError {
    if (err instanceof HttpError) return err;
    if (PrismError.isInstance(err)) {
        if (err.code === "E_QUEUE_FULL") return new HttpError(429, err.message, "rate_limit_error", "queue_full", null, {"retry-after": "1"});
        if (err.code === "E_QUEUE_TIMEOUT") return new HttpError(503, err.message, "server_error", "queue_timeout", null, {"retry-after": "1"});
        if (err.code === "E_UNSUPPORTED") return new HttpError(400, err.message, "invalid_request_error", "unsupported");
        if (err.code === "E_PROMPT_TOO_LONG") return new HttpError(400, err.message, "invalid_request_error", "context_length_exceeded", "messages");
        if (err.kind === "usage" || err.kind === "input") return new HttpError(400, err.message, "invalid_request_error", err.code);
        if (err.code === "E_SCHEMA_GENERATION") return new HttpError(422, err.message, "invalid_response_error", err.code, null, {}, {text: String(err.details.text ?? "")});
        if (err.kind === "resource") return new HttpError(503, err.message, "server_error", err.code);
        return new HttpError(500, err.message, "server_error", err.code);
    }
    return new HttpError(500, `Internal error: ${err instanceof Error ? err.message : String(err)}`, "server_error", "internal_error");
}
