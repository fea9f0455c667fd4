import type http from "node:http";
import type {z} from "zod";
import {HttpError} from "./http-error.js";

/**
 * Reads and parses a JSON request body of at most `maxBytes`. A body announced larger (Content-Length) is refused
 * before any of it is read; one that grows past the limit is refused as soon as it does. Unparseable bodies and
 * empty ones are 400s that quote the parser, and mention the content type when it was not JSON's.
 */
export async function readJsonBody(req: http.IncomingMessage, maxBytes: number): Promise<unknown> {
    const tooLarge = () => new HttpError(413, `The request body is larger than this server accepts (${maxBytes} bytes)`, "invalid_request_error", "request_too_large");
    if (Number(req.headers["content-length"] ?? 0) > maxBytes) throw tooLarge();
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > maxBytes) throw tooLarge();
        chunks.push(chunk);
    }
    const text = Buffer.concat(chunks).toString("utf8");
    const contentType = req.headers["content-type"];
    const typeNote = contentType && !/\bjson\b/i.test(contentType) ? ` (the content type was "${contentType}"; send application/json)` : "";
    if (text.trim() === "") throw new HttpError(400, `The request has no body; expected a JSON object${typeNote}`, "invalid_request_error", "invalid_json");
    try {
        return JSON.parse(text);
    } catch (err) {
        throw new HttpError(400, `We could not parse the JSON body of your request (${(err as Error).message})${typeNote}`, "invalid_request_error", "invalid_json");
    }
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
