/**
 * Memory over time: a real `prism serve --run` process (the built CLI: `npm run build` first) answers many requests
 * through the gate, and its resident memory is sampled as it goes. After a warm-up (long enough for the gate's feature
 * cache, the compiled graphs and V8's heap to reach their working size) the RSS must stop growing: the run fails
 * (exit 1) when it grows by 5% or more from the end of the warm-up to the end.
 *
 * Each request has a prompt of its own (so the gate computes features every time, and its feature cache turns over),
 * goes to the routed model with max_tokens 1, and every tenth streams. Requests go one after another over keep-alive
 * connections, `--concurrency` at a time.
 *
 * Run: npm run bench:soak [-- --requests N] [-- --warmup N] [-- --concurrency N] [-- --max-seconds S] [-- --json]
 * (defaults: 10,000 requests, 2,000 of them warm-up, 2 at a time, at most 900 s; --json: the last line is a JSON object)
 */
import fs from "node:fs";
import path from "node:path";
import {soakServer} from "../test/helpers/soak.js";
import {tempDir} from "../test/helpers/tiny-models.js";
import {makeTinyRun} from "../test/helpers/tiny-run.js";

const numberArg = (name: string, fallback: number) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const json = process.argv.includes("--json");
const say = (line = "") => process.stdout.write(line + "\n");

const dir = tempDir("bench-soak");
try {
    const run = await makeTinyRun(path.join(dir, "run"));
    const result = await soakServer({
        runDir: run.dir, requests: numberArg("--requests", 10_000), warmup: numberArg("--warmup", 2000), concurrency: numberArg("--concurrency", 2),
        maxSeconds: numberArg("--max-seconds", 900), onSample: (s) => say(`  ${String(s.requests).padStart(6)} requests  RSS ${(s.rssBytes / 2 ** 20).toFixed(1)} MB  heap ${(s.heapBytes / 2 ** 20).toFixed(1)} MB`)
    });
    const mb = (b: number) => `${(b / 2 ** 20).toFixed(1)} MB`;
    say(`\nprism serve soak: ${result.requests} requests through the gate in ${result.seconds.toFixed(0)} s (${(result.requests / result.seconds).toFixed(0)}/s), ${result.failures} failed`);
    say(`  RSS after warm-up (${result.warmup} requests)   ${mb(result.rssAfterWarmupBytes)}`);
    say(`  RSS at the end                    ${mb(result.rssEndBytes)}   growth ${(100 * result.growth).toFixed(2)}% (limit 5%)`);
    say(`  heap used after warm-up / at end  ${mb(result.heapAfterWarmupBytes)} / ${mb(result.heapEndBytes)}`);
    if (json) say(JSON.stringify(result));
    if (result.failures > 0 || result.growth >= 0.05 || result.requests < result.requested) process.exitCode = 1;
} finally {
    fs.rmSync(dir, {recursive: true, force: true});
}
