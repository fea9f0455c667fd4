import type http from "node:http";

/** Sends `value` as the whole JSON response. */
export function sendJson(res: http.ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
    const body = JSON.stringify(value);
    res.writeHead(status, {...headers, "content-type": "application/json", "content-length": String(Buffer.byteLength(body))});
    res.end(body);
}

/**
 * Writes one server-sent event, waiting while the client's socket buffer is full, so a slow reader holds back its
 * own generation instead of growing the server's memory. A reader stalled for `stalledTimeoutMs` is disconnected
 * (which cancels its generation). Resolves at once when the client has gone.
 */
export async function writeEvent(res: http.ServerResponse, data: string, stalledTimeoutMs: number): Promise<void> {
    if (res.destroyed || res.write(`data: ${data}\n\n`)) return;
    await new Promise<void>((resolve) => {
        const done = () => {
            clearTimeout(timer);
            res.off("drain", done);
            res.off("close", done);
            resolve();
        };
        const timer = setTimeout(() => res.destroy(), stalledTimeoutMs);
        res.on("drain", done);
        res.on("close", done);
    });
}
