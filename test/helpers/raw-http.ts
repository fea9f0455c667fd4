import fs from "node:fs";
import net from "node:net";

export type RawResponse = {status: number, headers: string, body: string};

/**
 * Sends raw bytes to 127.0.0.1:`port`, then collects what comes back until the server closes the connection (or
 * `waitMs` passes). Null when nothing that parses as an HTTP response came back.
 */
export function rawRequest(port: number, chunks: readonly (string | Buffer)[], options: {gapMs?: number, waitMs?: number, destroyAfterSend?: boolean} = {}): Promise<RawResponse | null> {
    return new Promise((resolve, reject) => {
        const socket = net.connect(port, "127.0.0.1");
        let received = "";
        const finish = () => {
            clearTimeout(timer);
            socket.destroy();
            const m = /^HTTP\/1\.1 (\d+)[^\r]*\r\n([\s\S]*?)\r\n\r\n([\s\S]*)$/.exec(received);
            resolve(m ? {status: Number(m[1]), headers: m[2]!.toLowerCase(), body: m[3]!} : null);
        };
        const timer = setTimeout(finish, options.waitMs ?? 3000);
        socket.on("data", (d) => (received += d.toString("latin1")));
        socket.on("close", finish);
        socket.on("error", (err: NodeJS.ErrnoException) => (err.code === "ECONNRESET" || err.code === "EPIPE" ? finish() : reject(err)));
        socket.on("connect", async () => {
            for (const c of chunks) {
                if (socket.destroyed) return;
                socket.write(c);
                if (options.gapMs) await new Promise((r) => setTimeout(r, options.gapMs));
            }
            if (options.destroyAfterSend) socket.destroy();
        });
    });
}

/** A process's resident memory in bytes (Linux: /proc/PID/status). */
export function residentBytes(pid: number): number {
    const m = /^VmRSS:\s+(\d+) kB$/m.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
    if (!m) throw new Error(`no VmRSS in /proc/${pid}/status`);
    return Number(m[1]) * 1024;
}
