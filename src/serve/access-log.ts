import fs from "node:fs";
import path from "node:path";
import {ResourceError} from "../util/prism-error.js";

/** One line of the access log: a JSON object per request, written when its response ends (or its client leaves). */
export type AccessLogEntry = {
    /** ISO time the request arrived. */
    time: string,
    /** The request id (the client's `x-request-id`, else one made here); also sent back as `x-request-id`. */
    id: string,
    method: string,
    path: string,
    /** The HTTP status; 499 when the client closed the connection before the answer was complete. */
    status: number,
    /** The `model` the request asked for. */
    model: string | null,
    /** "base" or "adapter", for chat completions. */
    route: "base" | "adapter" | null,
    adapter: string | null,
    gate_score: number | null,
    /** Why the route was taken: "gate", "reused" (first-turn decision of the conversation), "explicit" (named by `model`). */
    reason: string | null,
    stream: boolean,
    prompt_tokens: number | null,
    completion_tokens: number | null,
    finish_reason: string | null,
    /** Arrival to last byte. */
    latency_ms: number,
    /** Arrival to a free slot. */
    queue_wait_ms: number | null,
    /** Features and classifier. */
    gate_ms: number | null,
    /** The OpenAI error code of a failed request. */
    error: string | null,
    /** The client's address. */
    remote: string | null
};

export type AccessLog = {
    write(entry: AccessLogEntry): void,
    /** Flushes and closes a file; leaves a stream it was given open. */
    close(): Promise<void>
};

/** An access log on a stream (stderr, say), one JSON line per request. */
export function accessLogToStream(stream: NodeJS.WritableStream): AccessLog {
    return {
        write: (entry) => void stream.write(JSON.stringify(entry) + "\n"),
        close: async () => undefined
    };
}

/** An access log appended to `file` (made, with its folder, when missing). */
export async function openAccessLogFile(file: string): Promise<AccessLog> {
    try {
        await fs.promises.mkdir(path.dirname(path.resolve(file)), {recursive: true});
        const handle = await fs.promises.open(file, "a");
        const stream = handle.createWriteStream();
        // A failing log (disk full, file removed with its folder) is reported once and must not take the server down.
        stream.once("error", (err) => process.stderr.write(`prism serve: the access log ${file} failed, no more lines go there: ${err.message}\n`));
        return {
            write: (entry) => {
                if (!stream.errored && !stream.writableEnded) stream.write(JSON.stringify(entry) + "\n");
            },
            close: () => new Promise((resolve) => (stream.errored || stream.closed ? resolve() : stream.end(() => resolve())))
        };
    } catch (err) {
        throw new ResourceError("E_ACCESS_LOG", `cannot open the access log ${file}: ${(err as Error).message}`, {cause: err, hint: "check the folder exists and is writable, or leave --access-log out to log to stderr"});
    }
}
