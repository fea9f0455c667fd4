import {spawn} from "node:child_process";
import path from "node:path";

export const CLI_PATH = path.resolve(import.meta.dirname, "../../dist/cli/main.js");

export type CliResult = {code: number, stdout: string, stderr: string};

/** Runs the built `prism` CLI (npm test builds it first) and collects its output. */
export function runCli(args: readonly string[], options: {input?: string, env?: Record<string, string>, timeoutMs?: number} = {}): Promise<CliResult> {
    return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [CLI_PATH, ...args], {env: {...process.env, ...options.env}, stdio: ["pipe", "pipe", "pipe"]});
        let stdout = "", stderr = "";
        child.stdout.on("data", (d) => (stdout += d));
        child.stderr.on("data", (d) => (stderr += d));
        const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 120_000);
        child.on("error", reject);
        child.on("close", (code, signal) => {
            clearTimeout(timer);
            resolve({code: code ?? (signal ? 128 : 1), stdout, stderr});
        });
        child.stdin.end(options.input ?? "");
    });
}
