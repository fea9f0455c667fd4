import type {CommandModule} from "yargs";
import type {RoutingPolicy} from "../../gate/routing-policy.js";
import {type AccessLog, accessLogToStream, openAccessLogFile} from "../../serve/access-log.js";
import {isLoopbackHost} from "../../serve/browser-guards.js";
import {UsageError} from "../../util/prism-error.js";
import {type LlamaArgs, llamaSettings, loadProgress, parseAdapterArg, withLlamaOptions} from "../engine-options.js";
import {formatTable} from "../output.js";
import {runCommand} from "../run-command.js";

type ServeArgs = LlamaArgs & {
    run?: string, model?: string, adapter?: string, "adapter-name"?: string, gate?: string, features: "auto" | "prompt-vector" | "partial-forward", policy: RoutingPolicy,
    upstream?: string, "upstream-base-model"?: string, "upstream-adapter-model"?: string, "upstream-api-key"?: string,
    host: string, port: number, "api-key"?: string, "allow-no-api-key": boolean, "cors-origin"?: string[], "allowed-host"?: string[], "model-name": string,
    "max-concurrent"?: number, "max-queue": number, "queue-timeout-ms": number, "max-body-bytes": number, "request-timeout-ms": number, "shutdown-timeout-ms": number,
    "access-log": string, json: boolean
};

export const ServeCommand: CommandModule<object, ServeArgs> = {
    command: "serve",
    describe: "An OpenAI-compatible server that routes each request through the gate to the base model or the persona adapter",
    builder: (y) => withLlamaOptions(y
        .option("run", {type: "string", group: "Model:", describe: "A finished bootstrap run: its model, adapter (served as \"persona\") and gate"})
        .option("model", {type: "string", group: "Model:", describe: "The base model's GGUF: it generates, and computes the gate's features (with --upstream: features only)"})
        .option("adapter", {type: "string", group: "Model:", describe: "The persona adapter, a GGUF LoRA: PATH[:scale]"})
        .option("adapter-name", {type: "string", group: "Model:", describe: "The adapter's model name (default: its file name without .gguf; with --upstream and no --adapter, the upstream's name)"})
        .option("gate", {type: "string", group: "Model:", describe: "The gate file; with it the served model name routes between base and adapter"})
        .option("features", {choices: ["auto", "prompt-vector", "partial-forward"] as const, default: "auto" as const, group: "Model:", describe: "The gate's feature source: partial-forward (the state after the gate's first blocks, as bootstrap trains it), prompt-vector (the last block's), auto (what the gate was trained on)"})
        .option("policy", {choices: ["first-turn", "per-turn"] as const, default: "first-turn" as const, group: "Model:", describe: "Decide once per conversation on its first user turn, or on every turn"})
        .option("upstream", {type: "string", group: "Upstream:", describe: "Generate on this OpenAI-compatible server (vLLM, llama-server, Ollama), e.g. http://127.0.0.1:8000/v1; the gate runs here"})
        .option("upstream-base-model", {type: "string", group: "Upstream:", describe: "The upstream's name for the base model (default: the first model its /v1/models lists)"})
        .option("upstream-adapter-model", {type: "string", group: "Upstream:", describe: "The upstream's name for the adapter (default: the adapter's name, as in vLLM's --lora-modules NAME=PATH)"})
        .option("upstream-api-key", {type: "string", group: "Upstream:", describe: "Bearer token for the upstream (default: none)"})
        .option("host", {type: "string", default: "127.0.0.1", group: "Server:", describe: "Address to listen on (0.0.0.0 for every interface)"})
        .option("port", {type: "number", default: 8080, group: "Server:", describe: "Port (0 picks a free one)"})
        .option("api-key", {type: "string", group: "Server:", describe: "Clients must send 'Authorization: Bearer KEY' (default: $PRISM_API_KEY; unset: no check)"})
        .option("allow-no-api-key", {type: "boolean", default: false, group: "Server:", describe: "Serve without a key on a --host other than loopback (refused otherwise: anyone who reaches the port could use it)"})
        .option("allowed-host", {type: "string", array: true, group: "Server:", describe: "On loopback, a Host name to answer besides localhost and 127.0.0.1 (repeatable; '*' for any): a reverse proxy here that forwards its own Host"})
        .option("cors-origin", {type: "string", array: true, group: "Server:", describe: "A browser origin allowed to call the server (repeatable; '*' for any), e.g. http://localhost:3000"})
        .option("model-name", {type: "string", default: "prism", group: "Server:", describe: "The model name that routes (without --gate: the base model)"})
        .option("max-concurrent", {type: "number", group: "Server:", describe: "Requests generating at once; more wait in a FIFO queue (default: --parallel; upstream: 8)"})
        .option("max-queue", {type: "number", default: 128, group: "Server:", describe: "Requests that may wait; beyond it 429"})
        .option("queue-timeout-ms", {type: "number", default: 60_000, group: "Server:", describe: "The longest wait for a slot; then 503"})
        .option("max-body-bytes", {type: "number", default: 1024 * 1024, group: "Server:", describe: "Largest request body; beyond it 413"})
        .option("request-timeout-ms", {type: "number", default: 30_000, group: "Server:", describe: "A client must send its whole request (headers and body) within this; then 408"})
        .option("shutdown-timeout-ms", {type: "number", default: 10_000, group: "Server:", describe: "On SIGTERM or Ctrl-C, how long requests in flight may take to finish before they are cut"})
        .option("access-log", {type: "string", default: "-", group: "Server:", describe: "A file to append one JSON line per request to; '-' is stderr, 'off' none"})
        .option("json", {type: "boolean", default: false, describe: "Print JSON lines on stdout: {\"event\": \"listening\", url, port, models, …} when ready, {\"event\": \"stopped\", …} at exit"}), "Engine:")
        .example("$0 serve --run runs/qwen", "serve a bootstrap run: model \"prism\" routes with its gate")
        .example("$0 serve --model model.gguf --adapter persona.gguf --gate gate.json", "serve on http://127.0.0.1:8080/v1; model \"prism\" routes, \"base\" and \"adapter\" bypass the gate")
        .example("$0 serve --model model.gguf --adapter persona.gguf --gate gate.json --upstream http://127.0.0.1:8000/v1 --upstream-adapter-model persona", "route here, generate on vLLM")
        .example("PRISM_API_KEY=sk-… $0 serve --model model.gguf --port 0 --json", "the base model alone, behind a key, on a free port; prints the address as JSON"),
    handler: (args) => runCommand(async (signal) => {
        const apiKey = args["api-key"] ?? process.env.PRISM_API_KEY;
        if (apiKey === "") throw new UsageError("the API key is empty", {hint: "pass a non-empty --api-key (or $PRISM_API_KEY), or leave it unset for no check"});
        for (const flag of ["max-concurrent", "max-queue", "queue-timeout-ms", "max-body-bytes", "request-timeout-ms", "shutdown-timeout-ms", "port"] as const) {
            const v = args[flag];
            const positive = flag === "max-concurrent" || flag === "max-body-bytes" || flag === "request-timeout-ms";
            if (v !== undefined && !(Number.isInteger(v) && v >= (positive ? 1 : 0)))
                throw new UsageError(`--${flag} must be a whole number${positive ? " of at least 1" : ""}, got ${v}`);
        }
        if (args.upstream === undefined) {
            for (const flag of ["upstream-base-model", "upstream-adapter-model", "upstream-api-key"] as const)
                if (args[flag] !== undefined) throw new UsageError(`--${flag} is for --upstream`);
        }
        if (apiKey === undefined && !isLoopbackHost(args.host)) {
            if (!args["allow-no-api-key"]) {
                throw new UsageError(`--host ${args.host} reaches beyond this machine, and no API key is set: anyone who can reach the port could use the model`, {
                    hint: "set --api-key (or $PRISM_API_KEY), or pass --allow-no-api-key if a gateway in front of prism checks who calls it"
                });
            }
            process.stderr.write(`prism serve: WARNING: listening on ${args.host} with no API key; anyone who can reach the port can use the model\n`);
        }
        const corsOrigins = args["cors-origin"] ?? [];
        for (const origin of corsOrigins) {
            if (origin !== "*" && !/^https?:\/\/[^/\s]+$/.test(origin)) throw new UsageError(`--cors-origin ${origin} is not an origin`, {hint: "give scheme, host and port, no path: --cors-origin http://localhost:3000 (or '*')"});
        }
        const adapterArg = args.adapter !== undefined ? parseAdapterArg(args.adapter) : undefined;
        const accessLog = await openAccessLog(args["access-log"]);
        const progress = loadProgress({quiet: args.json});
        let serve;
        try {
            const {startPrismServe} = await import("../../serve/prism-serve.js");
            serve = await startPrismServe({
                run: args.run, model: args.model,
                adapter: adapterArg || args["adapter-name"] !== undefined ? {path: adapterArg?.path, scale: adapterArg?.scale, name: args["adapter-name"] ?? adapterArg?.name} : undefined,
                gate: args.gate, features: args.features, policy: args.policy,
                upstream: args.upstream === undefined ? undefined : {url: args.upstream, baseModel: args["upstream-base-model"], adapterModel: args["upstream-adapter-model"], apiKey: args["upstream-api-key"]},
                llama: {...llamaSettings(args), signal, onLoadProgress: progress.onLoadProgress},
                server: {
                    host: args.host, port: args.port, apiKey, corsOrigins, allowedHosts: args["allowed-host"], modelName: args["model-name"], maxConcurrent: args["max-concurrent"], maxQueue: args["max-queue"],
                    queueTimeoutMs: args["queue-timeout-ms"], maxBodyBytes: args["max-body-bytes"], requestTimeoutMs: args["request-timeout-ms"], accessLog
                }
            });
        } catch (err) {
            await accessLog?.close();
            throw err;
        } finally {
            progress.stop();
        }
        const {server} = serve;
        if (args.json) {
            process.stdout.write(JSON.stringify({
                event: "listening", url: `${serve.url}/v1`, host: server.host, port: server.port, models: serve.models.map((m) => m.id),
                generation: serve.generation, routing: serve.routing, auth: apiKey !== undefined
            }) + "\n");
        } else {
            const describeModel = (m: (typeof serve.models)[number]) => (m.prism.route === "gate" ? `${m.id} (the gate picks base or ${serve.routing!.adapter})` : m.id);
            process.stdout.write(`prism serve: listening on ${serve.url}/v1\n${formatTable([
                ["  models", serve.models.map(describeModel).join(", ")],
                ["  routing", serve.routing ? `gate ${serve.routing.gate}, ${serve.routing.features} features, ${serve.routing.policy} policy` : "none (no --gate)"],
                ["  generation", serve.generation === "llama" ? "llama.cpp, here" : `upstream ${serve.generation}`],
                ["  auth", apiKey !== undefined ? "Authorization: Bearer <key> required" : "none"],
                ...(corsOrigins.length > 0 ? [["  cors", corsOrigins.join(", ")] as [string, string]] : []),
                ["  metrics", `${serve.url}/metrics`]
            ])}\nCtrl-C or SIGTERM stops it gracefully.\n`);
        }

        await new Promise<void>((resolve) => {
            signal.addEventListener("abort", () => resolve(), {once: true});
            process.once("SIGTERM", () => resolve());
        });
        const timeoutMs = args["shutdown-timeout-ms"];
        process.stderr.write(`prism serve: shutting down; requests in flight have ${timeoutMs} ms to finish\n`);
        const result = await serve.shutdown({timeoutMs});
        await accessLog?.close();
        if (args.json) process.stdout.write(JSON.stringify({event: "stopped", ...result}) + "\n");
        process.stderr.write(`prism serve: stopped (${result.drained ? "every request finished" : `${result.aborted} request(s) cut at the deadline`})\n`);
        // Whatever else still holds the event loop (a client's keep-alive socket, a native thread) must not keep the process up.
        setTimeout(() => process.exit(), 2000).unref();
    })
};

async function openAccessLog(target: string): Promise<AccessLog | undefined> {
    if (target === "off") return undefined;
    if (target === "-") return accessLogToStream(process.stderr);
    return openAccessLogFile(target);
}
