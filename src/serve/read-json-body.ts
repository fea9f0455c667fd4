import type http from "node:http";
import type {z} from "zod";
import {HttpError} from "./http-error.js";

/** `application/json`, or any `…+json` type, with or without parameters (charset). */
const JSON_CONTENT_TYPE = /^application\/(?:[\w.-]+\+)?json\s*(?:;|$)/i;

/**
 * Reads and parses a JSON request body of at most `maxBytes`. Only JSON content types are read (415 otherwise): a
 * browser can POST `text/plain` or a typeless body to any origin without a CORS preflight, so parsing those as JSON
 * would let any web page drive a key-less server on localhost. A body announced larger (Content-Length) is refused
 * before any of it is read; one that grows past the limit (chunked) is refused as soon as it does. Unparseable
 * bodies and empty ones are 400s that quote the parser.
 */
export async function readJsonBody(req: http.IncomingMessage, maxBytes: number): Promise<unknown> {
    const contentType = req.headers["content-type"];
    if (!contentType || !JSON_CONTENT_TYPE.test(contentType)) {
        throw new HttpError(415, `The request body must be JSON: send 'Content-Type: application/json' (got ${contentType === undefined ? "no content type" : `"${contentType}"`})`,
            "invalid_request_error", "unsupported_media_type");
    }
    if (Number(req.headers["content-length"] ?? 0) > maxBytes) throw tooLarge(maxBytes);
    const text = (await readBody(req, maxBytes)).toString("utf8");
    if (text.trim() === "") throw new HttpError(400, "The request has no body; expected a JSON object", "invalid_request_error", "invalid_json");
    try {
        return JSON.parse(text);
    } catch (err) {
        throw new HttpError(400, `We could not parse the JSON body of your request (${(err as Error).message})`, "invalid_request_error", "invalid_json");
    }
}

function tooLarge(maxBytes: number): HttpError {
    return new HttpError(413, `The request body is larger than this server accepts (${maxBytes} bytes)`, "invalid_request_error", "request_too_large");
}

/**
 * The whole body, or a 413 once it passes `maxBytes`. Listeners rather than `for await`: leaving a `for await`
 * early destroys the request, and with it the socket the 413 must still be written to. Past the limit the rest of
 * the body is read and dropped, up to `maxBytes` more or `DRAIN_MS`, before the 413 goes out (with `connection:
 * close`): a socket closed with unread bytes sends the client a reset, which can reach it before the 413 does and
 * wipe it (1 in 4 runs of serve-hardening's chunked-body test, before this). A body larger still is left unread
 * (paused), as a body without end would otherwise hold the connection.
 */
function readBody(req: http.IncomingMessage, maxBytes: number): Promise<Buffer> {
    return new Promise((resolve, reject) => {
        const chunks: Buffer[] = [];
        let size = 0, drainTimer: NodeJS.Timeout | undefined;
        const finish = (err: Error | null) => {
            clearTimeout(drainTimer);
            req.off("data", onData).off("end", onEnd).off("error", finish).off("close", onClose);
            if (err) reject(err);
            else resolve(Buffer.concat(chunks, size));
        };
        const refuse = () => {
            req.pause();
            finish(tooLarge(maxBytes));
        };
        const onData = (chunk: Buffer) => {
            size += chunk.length;
            if (size <= maxBytes) chunks.push(chunk);
            else if (size > 2 * maxBytes) refuse();
            else if (drainTimer === undefined) {
                chunks.length = 0;
                drainTimer = setTimeout(refuse, DRAIN_MS);
            }
        };
        const onEnd = () => (size > maxBytes ? finish(tooLarge(maxBytes)) : finish(null));
        const onClose = () => finish(new Error("the client closed the connection before its request body was complete"));
        req.on("data", onData).on("end", onEnd).on("error", finish).on("close", onClose);
    });
}

/** How long the rest of a body past the limit is read and dropped before the 413. */
const DRAIN_MS = 1000;

/** readJsonBody, then `schema`: a body that does not fit is a 400 naming the first field that is wrong. */
export async function readJsonRequest<S extends z.ZodType>(req: http.IncomingMessage, maxBytes: number, schema: S): Promise<z.output<S>> {
    const parsed = schema.safeParse(await readJsonBody(req, maxBytes));
    if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        const where = issue.path.join(".");
        throw new HttpError(400, `Invalid request: ${where || "body"}: ${issue.message}`, "invalid_request_error", "invalid_value", where || null);
    }
    return parsed.data;
}
