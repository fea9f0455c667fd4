import {residentBytes} from "./raw-http.js";
import {metricValue} from "./serve-helpers.js";
import {startServe} from "./serve-process.js";

export type SoakOptions = {
    /** A run directory (`makeTinyRun`): the server routes through its gate. */
    runDir: string,
    requests: number,
    /** Requests before the baseline sample. */
    warmup: number,
    /** Requests in flight at once. Defaults to `2`. */
    concurrency?: number,
    /** Stops sending after this long (the result says how many were sent). Defaults to `600`. */
    maxSeconds?: number,
    onSample?(sample: SoakSample): void
};

export type SoakSample = {requests: number, rssBytes: number, heapBytes: number};

export type SoakResult = {
    requested: number, requests: number, warmup: number, failures: number, seconds: number,
    rssAfterWarmupBytes: number, rssEndBytes: number, heapAfterWarmupBytes: number, heapEndBytes: number,
    /** RSS growth from the end of the warm-up to the end, as a fraction. */
    growth: number,
    samples: SoakSample[]
};

/**
 * Starts `prism serve --run DIR` (the built CLI) and sends it `requests` chat completions through the gate, each with
 * a prompt of its own (one in ten streamed), sampling the process's RSS and V8 heap along the way.
 */
export async function soakServer(options: SoakOptions): Promise<SoakResult> {
    const {requests, warmup} = options;
    // The access log on (to stderr, as by default): it is part of every request.
    const serve = await startServe(["--run", options.runDir, "--max-queue", "1024"]);
    try {
        const base = serve.ready.url;
        const sample = async (done: number): Promise<SoakSample> => {
            const metrics = await (await fetch(base.replace(/\/v1$/, "/metrics"))).text();
            const s = {requests: done, rssBytes: residentBytes(serve.child.pid!), heapBytes: metricValue(metrics, "nodejs_heap_size_used_bytes")};
            options.onSample?.(s);
            return s;
        };
        const every = Math.max(100, Math.round(requests / 20));
        const samples: SoakSample[] = [];
        let next = 0, failures = 0, sent = 0, baseline: SoakSample | undefined;
        const started = performance.now();
        const deadline = started + (options.maxSeconds ?? 600) * 1000;
        const one = async (i: number) => {
            const stream = i % 10 === 9;
            const res = await fetch(`${base}/chat/completions`, {
                method: "POST", headers: {"content-type": "application/json"},
                body: JSON.stringify({model: "prism", messages: [{role: "user", content: `Request ${i}: what is ${i % 97} times ${Math.floor(i / 97)}? Think of ${(i * 7919).toString(36)}.`}], max_tokens: 1, stream})
            });
            const text = await res.text();
            if (res.status !== 200 || (stream && !text.includes("[DONE]"))) failures++;
        };
        const worker = async () => {
            while (next < requests && performance.now() < deadline) {
                const i = next++;
                await one(i);
                sent++;
                if (sent % every === 0 || sent === warmup) {
                    const s = await sample(sent);
                    samples.push(s);
                    if (sent === warmup) baseline = s;
                }
            }
        };
        await Promise.all(Array.from({length: options.concurrency ?? 2}, worker));
        const end = await sample(sent);
        baseline ??= samples[0] ?? end;
        return {
            requested: requests, requests: sent, warmup, failures, seconds: (performance.now() - started) / 1000,
            rssAfterWarmupBytes: baseline.rssBytes, rssEndBytes: end.rssBytes, heapAfterWarmupBytes: baseline.heapBytes, heapEndBytes: end.heapBytes,
            growth: (end.rssBytes - baseline.rssBytes) / baseline.rssBytes, samples: [...samples, end]
        };
    } finally {
        serve.child.kill("SIGKILL");
    }
}
