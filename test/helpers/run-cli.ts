import {spawn, type ChildProcess} from "node:child_process";
import path from "node:path";
import {assertBuildIsFresh} from "./source-freshness.js";

export const CLI_PATH = path.resolve(import.meta.dirname, "../../dist/cli/main.js");
// Every test that runs the CLI imports this module, so a stale build fails them all, saying why.
assertBuildIsFresh(path.resolve(import.meta.dirname, "../../src"), path.dirname(path.dirname(CLI_PATH)));

export type CliResult = {code: number, stdout: string, stderr: string};

type CliOptions = {input?: string, env?: Record<string, string>, timeoutMs?: number};

/** Runs the built `prism` CLI (npm test builds it first) and collects its output. */
export function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
    return spawnCli(args, options).done;
}

/** Starts the built CLI and gives its process (to signal or kill it) and its outcome. A killed process reports 128 + signal number. */
export function spawnCli(args: readonly string[], options: CliOptions = {}): {child: ChildProcess, done: Promise<CliResult>} {
    const child = spawn(process.execPath, [CLI_PATH, ...args], {env: {...process.env, ...options.env}, stdio: ["pipe", "pipe", "pipe"]});
    const done = new Promise<CliResult>((resolve, reject) => {
        let stdout = "", stderr = "";
        child.stdout!.on("data", (d) => (stdout += d));
        child.stderr!.on("data", (d) => (stderr += d));
        const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 120_000);
        child.on("error", reject);
        child.on("close", (code, signal) => {
            clearTimeout(timer);
            resolve({code: code ?? (signal === "SIGKILL" ? 137 : signal ? 128 : 1), stdout, stderr});
        });
        child.stdin!.end(options.input ?? "");
    });
    return {child, done};
}
