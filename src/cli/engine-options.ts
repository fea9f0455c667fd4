import path from "node:path";
import type {Argv} from "yargs";
import type {PrismEngine} from "../engine/engine.js";
// The engines are imported when a command opens one: node-llama-cpp alone takes about half a second to import, which
// commands that never load a model (info, gate-info, report, --help) should not pay.
import type {LlamaEngine} from "../engine/llama-engine.js";
import type {Router} from "../gate/router.js";
import type {RoutingPolicy} from "../gate/routing-policy.js";
import {UsageError} from "../util/prism-error.js";
import {keyedProgress} from "./progress.js";

/** The embedded llama.cpp engine's tuning flags. */
export type LlamaArgs = {threads?: number, "context-size"?: number, parallel?: number, gpu: boolean};

/** The flags every command that talks to a model shares. */
export type EngineArgs = LlamaArgs & {model: string, engine: "llama" | "openai", url?: string, "api-key"?: string, adapter: string[]};

/** `modelRequired: false` for commands where `--run` can name the model instead. */
export function withEngineOptions<T>(y: Argv<T>, options: {modelRequired?: boolean} = {}): Argv<T & EngineArgs> {
    return withLlamaOptions(y
        .option("model", {
            type: "string", demandOption: options.modelRequired ?? true, group: "Model:",
            describe: "GGUF model path or hf: URI (llama engine); the server's model name (openai engine)" + (options.modelRequired === false ? "; with --run, defaults to the run's model" : "")
        })
        .option("adapter", {type: "string", array: true, default: [] as string[], group: "Model:", describe: "LoRA adapter PATH[:scale] (llama) or server model NAME (openai); repeatable"})
        .option("engine", {choices: ["llama", "openai"] as const, default: "llama" as const, group: "Engine:", describe: "Embedded llama.cpp, or an OpenAI-compatible server"})
        .option("url", {type: "string", group: "Engine:", describe: "The server's API root for --engine openai, e.g. http://127.0.0.1:8080/v1"})
        .option("api-key", {type: "string", group: "Engine:", describe: "Bearer token for --engine openai (default: $OPENAI_API_KEY)"}))
        .option("parallel", {type: "number", group: "Engine:", describe: "Requests decoded together in one batch (default 4; openai: requests in flight, default 8)"}) as Argv<T & EngineArgs>;
}

/** The llama engine's tuning flags (threads, context size, parallel sequences, GPU). */
export function withLlamaOptions<T>(y: Argv<T>, group = "Engine:"): Argv<T & LlamaArgs> {
    return y
        .option("threads", {type: "number", group, describe: "CPU threads (default: 1 for models narrower than 512, else the physical cores)"})
        .option("context-size", {type: "number", group, describe: "Tokens per sequence, prompt and answer together (default: min(4096, the model's))"})
        .option("parallel", {type: "number", group, describe: "Sequences decoded together in one batch (default 4)"})
        .option("gpu", {type: "boolean", default: true, group, describe: "Offload to a GPU when there is one (--no-gpu stays on the CPU)"}) as Argv<T & LlamaArgs>;
}

/** The llama engine options the flags give. */
export function llamaSettings(args: LlamaArgs): {threads: number | "auto", contextSize?: number, parallel?: number, gpu: "auto" | false} {
    return {threads: args.threads ?? "auto", contextSize: args["context-size"], parallel: args.parallel, gpu: args.gpu ? "auto" : false};
}

/** Model download and load progress on stderr: a bar, shown only once loading has taken a moment, so tiny models load without noise. */
export function loadProgress(options: {quiet?: boolean} = {}): {onLoadProgress(p: {stage: "download" | "load", fraction: number}): void, stop(): void} {
    const started = Date.now();
    const progress = keyedProgress();
    let shown = false;
    return {
        onLoadProgress: ({stage, fraction}) => {
            if (options.quiet || (!shown && Date.now() - started < 2000)) return;
            shown = true;
            progress.update(stage === "download" ? "downloading" : "loading model", Math.round(fraction * 100), 100);
        },
        stop: () => progress.stop()
    };
}

export type OpenedEngine = {engine: PrismEngine, llama?: LlamaEngine, adapters: string[]};

/** Routed inference from a bootstrap run (generate, chat). */
export type RunArgs = {run?: string, route: "gate" | "base" | "adapter", policy: RoutingPolicy};

export function withRunOptions<T>(y: Argv<T>): Argv<T & RunArgs> {
    return y
        .option("run", {type: "string", group: "Routing:", describe: "A finished bootstrap run: its model, adapter and gate route each prompt"})
        .option("route", {choices: ["gate", "base", "adapter"] as const, default: "gate" as const, group: "Routing:", describe: "With --run: follow the gate, or force the base model or the adapter"})
        .option("policy", {choices: ["first-turn", "per-turn"] as const, default: "first-turn" as const, group: "Routing:", describe: "With --run: decide once per conversation (on its first turn) or on every turn"}) as Argv<T & RunArgs>;
}

export type OpenedEngineOrRun = OpenedEngine & {
    /** With --run: the router (its engine is `engine`). */
    router?: Router,
    /** Releases the engine (and the run's gate features). */
    dispose(): Promise<void>
};

/** The engine the flags describe, or with --run the routed engine of a bootstrap run. */
export async function openEngineOrRun(args: EngineArgs & RunArgs, signal: AbortSignal): Promise<OpenedEngineOrRun> {
    if (!args.run) {
        if (!args.model) throw new UsageError("give --model (or --run DIR for a bootstrap run)");
        if (args.route !== "gate") throw new UsageError("--route needs --run");
        const opened = await openEngine(args, signal);
        return {...opened, dispose: () => opened.engine.dispose()};
    }
    if (args.engine !== "llama") throw new UsageError("--run uses the embedded llama engine (the gate reads the model's hidden states)");
    if (args.adapter.length > 0) throw new UsageError("--run brings its own adapter: drop --adapter", {hint: "use --route adapter to always use it"});
    const {openRunRouter, RUN_ADAPTER_NAME} = await import("../run/open-run-router.js");
    const routed = await openRunRouter(args.run, {
        ...llamaSettings(args), model: args.model, signal,
        policy: args.policy, force: args.route === "gate" ? undefined : args.route
    });
    return {engine: routed.router.engine, llama: routed.engine, adapters: [RUN_ADAPTER_NAME], router: routed.router, dispose: () => routed.dispose()};
}

/** Opens the engine the flags describe, with model-load progress on stderr. */
export async function openEngine(args: EngineArgs, signal: AbortSignal, options: {quiet?: boolean} = {}): Promise<OpenedEngine> {
    if (args.engine === "openai") {
        if (!args.url) throw new UsageError("--engine openai needs --url (the server's API root, e.g. http://127.0.0.1:8080/v1)");
        const adapters = Object.fromEntries(args.adapter.map((name) => [name, name]));
        const {OpenAIEngine} = await import("../engine/openai-engine.js");
        const engine = new OpenAIEngine({baseURL: args.url, model: args.model, apiKey: args["api-key"], adapters, concurrency: args.parallel});
        return {engine, adapters: Object.keys(adapters)};
    }
    if (args.url) throw new UsageError("--url is for --engine openai");
    const adapters = args.adapter.map(parseAdapterArg);
    const names = new Set<string>();
    for (const a of adapters) {
        if (names.has(a.name)) throw new UsageError(`two adapters are named "${a.name}"`, {hint: "rename one of the files"});
        names.add(a.name);
    }
    const progress = loadProgress(options);
    try {
        const {LlamaEngine} = await import("../engine/llama-engine.js");
        const llama = await LlamaEngine.load({...llamaSettings(args), model: args.model, adapters, signal, onLoadProgress: progress.onLoadProgress});
        return {engine: llama, llama, adapters: adapters.map((a) => a.name)};
    } finally {
        progress.stop();
    }
}

/** `PATH[:scale]` → the adapter, named after its file. */
export function parseAdapterArg(arg: string): {name: string, path: string, scale?: number} {
    const m = /^(.*):(-?\d+(?:\.\d+)?)$/.exec(arg);
    const file = m ? m[1]! : arg;
    if (file === "") throw new UsageError(`--adapter ${arg}: no path`, {hint: "use --adapter PATH or --adapter PATH:scale"});
    return {name: path.basename(file).replace(/\.gguf$/i, ""), path: file, ...(m ? {scale: Number(m[2])} : {})};
}
