import {type ChildProcess, spawn} from "node:child_process";
import {CLI_PATH} from "./run-cli.js";

export type ServeProcess = {
    child: ChildProcess,
    /** The `listening` event `prism serve --json` printed. */
    ready: {url: string, port: number, models: string[], generation: string, routing: unknown, auth: boolean},
    /** Every JSON line on stdout so far. */
    events: Record<string, unknown>[],
    stderr(): string,
    /** Resolves with the exit code (or 128 + signal number's stand-in 128 when killed by a signal). */
    exited: Promise<number>
};

/**
 * Starts the built `prism serve --json --port 0 …` and waits for its `listening` line. Rejects with its stderr when
 * it exits first, and kills it when it is not ready in time.
 */
export function startServe(args: readonly string[], options: {env?: Record<string, string>, timeoutMs?: number} = {}): Promise<ServeProcess> {
    const child = spawn(process.execPath, [CLI_PATH, "serve", "--json", "--port", "0", ...args], {env: {...process.env, ...options.env}, stdio: ["ignore", "pipe", "pipe"]});
    const events: Record<string, unknown>[] = [];
    let stdout = "", stderr = "";
    const exited = new Promise<number>((resolve) => child.on("close", (code) => resolve(code ?? 128)));
    return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
            child.kill("SIGKILL");
            reject(new Error(`prism serve was not ready in time; stderr:\n${stderr}`));
        }, options.timeoutMs ?? 60_000);
        child.stderr!.on("data", (d) => (stderr += d));
        child.stdout!.on("data", (d) => {
            stdout += d;
            const lines = stdout.split("\n");
            stdout = lines.pop()!;
            for (const line of lines) {
                const event = JSON.parse(line) as Record<string, unknown>;
                events.push(event);
                if (event.event === "listening") {
                    clearTimeout(timer);
                    resolve({child, ready: event as ServeProcess["ready"], events, stderr: () => stderr, exited});
                }
            }
        });
        void exited.then((code) => {
            clearTimeout(timer);
            reject(Object.assign(new Error(`prism serve exited with ${code} before it was ready; stderr:\n${stderr}`), {code, stderr}));
        });
    });
}
