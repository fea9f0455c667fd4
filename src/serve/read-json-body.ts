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
 * The whole body, or a 413 as soon as it passes `maxBytes`. Listeners rather than `for await`: leaving a `for await`
 * early destroys the request, and with it the socket the 413 must still be written to. Past the limit the body is
 * left unread (paused); the 413 goes out with `connection: close`, which ends the connection after it.
 */
function readBody(req: http.IncomingMessage, maxBytes: number): Promise<Buffer> {
    return new Promise((resolve, reject) => {
        const chunks: Buffer[] = [];
        let size = 0;
        const finish = (err: Error | null) => {
            req.off("data", onData).off("end", onEnd).off("error", finish).off("close", onClose);
            if (err) reject(err);
            else resolve(Buffer.concat(chunks, size));
        };
        const onData = (chunk: Buffer) => {
            size += chunk.length;
            if (size > maxBytes) {
                req.pause();
                chunks.length = 0;
                finish(tooLarge(maxBytes));
            } else chunks.push(chunk);
        };
        const onEnd = () => finish(null);
        const onClose = () => finish(new Error("the client closed the connection before its request body was complete"));
        req.on("data", onData).on("end", onEnd).on("error", finish).on("close", onClose);
    });
}

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
