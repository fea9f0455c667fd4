import path from "node:path";
import type {PrismEngine} from "../engine/engine.js";
import {LlamaEngine, type LlamaEngineOptions} from "../engine/llama-engine.js";
import type {Gate} from "../gate/gate.js";
import type {GateFeatures} from "../gate/gate-features.js";
import {cachedFeatures} from "../gate/cached-features.js";
import {loadGate} from "../gate/gate-file.js";
import {GateMismatchError} from "../gate/gate-mismatch-error.js";
import {openRun} from "../run/open-run.js";
import {RUN_ADAPTER_NAME} from "../run/open-run-router.js";
import {partialForwardFeatures} from "../gate/partial-forward-features.js";
import {promptVectorFeatures} from "../gate/prompt-vector-features.js";
import {createRouter} from "../gate/router.js";
import type {RoutingPolicy} from "../gate/routing-policy.js";
import {UsageError} from "../util/prism-error.js";
import {OpenAIServer, type OpenAIServerOptions, type ShutdownResult} from "./openai-server.js";
import type {ServedModel} from "./served-models.js";
import {openUpstreamEngine, type UpstreamEngine} from "./upstream-engine.js";

export type PrismServeOptions = {
    /**
     * A finished bootstrap run (`prism bootstrap --out DIR`): its model (unless `model` is given: the same model moved),
     * adapter and gate. Not with `adapter` or `gate`.
     */
    run?: string,
    /** The base model's GGUF: it generates (unless `upstream`) and computes the gate's features. Required unless `upstream` serves without a gate. */
    model?: string,
    /** The persona adapter. `path` (a GGUF LoRA) is needed to generate locally; `name` defaults to the file name without `.gguf` (with `upstream`, to `upstream.adapterModel`). */
    adapter?: {path?: string, name?: string, scale?: number},
    /** A gate file (`prism-gate` JSON). With it the served model name routes between the base model and the adapter; needs `adapter`. */
    gate?: string,
    /**
     * Where the gate's features come from. `"partial-forward"`: the hidden state after the gate's first blocks (block 0
     * for a bootstrap gate) from the trainer's partial forward; `"prompt-vector"`: the llama engine's final hidden state
     * at the last prompt token; `"auto"`: the one the gate was trained on (its feature layer: every block means the
     * prompt vector). Defaults to `"auto"`.
     */
    features?: "auto" | "prompt-vector" | "partial-forward",
    /** Defaults to `"first-turn"`. */
    policy?: RoutingPolicy,
    /** Generate on an OpenAI-compatible server (vLLM, llama-server, Ollama); the gate still runs here on `model`. */
    upstream?: {url: string, baseModel?: string, adapterModel?: string, apiKey?: string},
    /** The local llama engine's settings. */
    llama?: Pick<LlamaEngineOptions, "threads" | "gpu" | "contextSize" | "parallel" | "onLoadProgress" | "signal">,
    /** The HTTP server's settings. `modelName` defaults to `"prism"`; `maxConcurrent` to the llama engine's `parallel` (upstream: 8). */
    server?: Omit<OpenAIServerOptions, "engine" | "routing" | "detokenize">
};

export type PrismServe = {
    readonly server: OpenAIServer,
    readonly url: string,
    readonly models: ServedModel[],
    /** Where generation happens: "llama" (here) or the upstream's API root. */
    readonly generation: string,
    /** The feature source and routing policy, when a gate routes. */
    readonly routing: {features: string, policy: RoutingPolicy, adapter: string, gate: string} | null,
    /** Graceful shutdown of the server (see `OpenAIServer.shutdown`), then the engines are released. */
    shutdown(options?: {timeoutMs?: number}): Promise<ShutdownResult>
};

/**
 * `prism serve` as a library call: loads the model, adapter and gate (or connects to the upstream), wires the gate
 * router, and starts the OpenAI-compatible server. Everything it loaded is released by `shutdown`, or when starting fails.
 */
export async function startPrismServe(options: PrismServeOptions): Promise<PrismServe> {
    if (options.run !== undefined) {
        if (options.adapter?.path !== undefined || options.gate !== undefined) throw new UsageError("--run brings its own adapter and gate: drop --adapter and --gate");
        const run = await openRun(options.run, {model: options.model});
        return startPrismServe({
            ...options, run: undefined, model: run.modelPath, gate: run.gatePath,
            adapter: {...options.adapter, path: options.upstream ? undefined : run.adapterPath, name: options.adapter?.name ?? RUN_ADAPTER_NAME}
        });
    }
    const {upstream, gate: gatePath} = options;
    const policy = options.policy ?? "first-turn";
    if (gatePath !== undefined && options.adapter === undefined && upstream?.adapterModel === undefined)
        throw new UsageError("a gate needs an adapter to route to", {hint: "pass --adapter PATH (or, with --upstream, --upstream-adapter-model NAME)"});
    if (!upstream && options.adapter && !options.adapter.path) throw new UsageError("the adapter needs a path to generate here", {hint: "pass --adapter PATH, or generate on an --upstream server"});
    if (options.model === undefined && (!upstream || gatePath !== undefined))
        throw new UsageError("--model is required", {hint: upstream ? "the gate computes its features on the local GGUF model: pass it with --model" : "pass the GGUF model to serve with --model"});
    const adapterName = options.adapter?.name ?? (options.adapter?.path ? path.basename(options.adapter.path).replace(/\.gguf$/i, "") : upstream?.adapterModel);
    const wantsAdapter = options.adapter !== undefined || upstream?.adapterModel !== undefined;

    const owned: {dispose(): Promise<void>}[] = [];
    const release = async () => {
        for (const o of owned.reverse()) await o.dispose();
    };
    try {
        let local: LlamaEngine | undefined;
        if (options.model !== undefined && (!upstream || gatePath !== undefined)) {
            local = await LlamaEngine.load({
                ...options.llama, model: options.model,
                // Upstream: the local model only computes features, one prompt at a time.
                ...(upstream ? {parallel: 1} : {}),
                adapters: !upstream && options.adapter ? [{name: adapterName!, path: options.adapter.path!, scale: options.adapter.scale}] : []
            });
            owned.push(local);
        }
        let features: GateFeatures | undefined, gate: Gate | undefined, featureSource: "prompt-vector" | "partial-forward" | undefined;
        if (gatePath !== undefined) {
            gate = await loadGate(gatePath);
            featureSource = options.features === undefined || options.features === "auto"
                ? gate.features.layer < local!.blockCount ? "partial-forward" : "prompt-vector"
                : options.features;
            let source: GateFeatures;
            if (featureSource === "partial-forward") {
                const forward = await partialForwardFeatures({
                    modelPath: local!.modelPath, layers: gate.features.layer, tokenizer: local!.chatTokenizer, threads: local!.threads, device: options.llama?.gpu === false ? "cpu" : "auto",
                    // Checked before the forward: the gate's work is then bounded by the context, as generation's is.
                    maxTokens: local!.contextSize
                });
                owned.push({dispose: async () => forward.dispose()});
                source = forward;
            } else source = await promptVectorFeatures(local!);
            // Remembered per prompt: under the first-turn policy each later turn of a chat re-scores its first turn.
            features = cachedFeatures(source);
            if (gate.modelFingerprint !== features.modelFingerprint) throw new GateMismatchError(gatePath, "modelFingerprint", gate.modelFingerprint, features.modelFingerprint);
        }
        let remote: UpstreamEngine | undefined;
        if (upstream) {
            remote = await openUpstreamEngine({
                url: upstream.url, baseModel: upstream.baseModel, apiKey: upstream.apiKey, concurrency: options.server?.maxConcurrent,
                adapter: wantsAdapter ? {name: adapterName!, model: upstream.adapterModel} : undefined
            });
            owned.push(remote.engine);
        }
        const engine: PrismEngine = remote?.engine ?? local!;
        const router = gate && features ? createRouter({engine, adapter: adapterName!, gate, features, policy}) : undefined;
        const server = await OpenAIServer.start({
            ...options.server,
            engine,
            modelName: options.server?.modelName ?? "prism",
            maxConcurrent: options.server?.maxConcurrent ?? (remote ? 8 : local!.parallel),
            routing: router ? {adapter: adapterName!, decide: router.decide} : undefined,
            detokenize: remote ? undefined : (tokens) => local!.chatTokenizer.detokenize(tokens)
        });
        return {
            server,
            url: server.url,
            models: server.models,
            generation: remote ? remote.baseURL : "llama",
            routing: router ? {features: featureSource!, policy, adapter: adapterName!, gate: gatePath!} : null,
            async shutdown(shutdownOptions) {
                try {
                    return await server.shutdown(shutdownOptions);
                } finally {
                    await release();
                }
            }
        };
    } catch (err) {
        await release();
        throw err;
    }
}
