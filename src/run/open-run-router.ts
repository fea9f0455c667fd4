import {LlamaEngine, type LlamaEngineOptions} from "../engine/llama-engine.js";
import {cachedFeatures} from "../gate/cached-features.js";
import {partialForwardFeatures, type PartialForwardFeatures} from "../gate/partial-forward-features.js";
import {openRun, type OpenedRun, type OpenRunOptions} from "./open-run.js";
import {createRouter, type Router} from "../gate/router.js";
import type {RoutingPolicy} from "../gate/routing-policy.js";

/** The name the run's adapter is registered under in the engine. */
export const RUN_ADAPTER_NAME = "persona";

export type OpenRunRouterOptions = OpenRunOptions & Pick<LlamaEngineOptions, "threads" | "contextSize" | "parallel" | "gpu" | "signal"> & {
    /** Defaults to `"first-turn"` (the paper's: the first turn's decision holds for the conversation). */
    policy?: RoutingPolicy,
    /** Skip the gate: always the base model, or always the adapter. */
    force?: "base" | "adapter"
};

export type RunRouter = {
    run: OpenedRun,
    /** The llama engine with the run's adapter registered as `RUN_ADAPTER_NAME`. */
    engine: LlamaEngine,
    features: PartialForwardFeatures,
    router: Router,
    dispose(): Promise<void>,
    [Symbol.asyncDispose](): Promise<void>
};

/**
 * Routed inference from a finished bootstrap run: the run's model on llama.cpp with its adapter, the gate's
 * features (the partial forward, tokenizing with the engine's own chat tokenizer) and the router. `router.engine`
 * is the routed engine for anything that takes one (generate, chat, serve).
 */
export async function openRunRouter(dir: string, options: OpenRunRouterOptions = {}): Promise<RunRouter> {
    const run = await openRun(dir, options);
    const engine = await LlamaEngine.load({
        model: run.modelPath, adapters: [{name: RUN_ADAPTER_NAME, path: run.adapterPath}],
        threads: options.threads, contextSize: options.contextSize, parallel: options.parallel, gpu: options.gpu, signal: options.signal
    });
    let features: PartialForwardFeatures | undefined;
    try {
        features = await partialForwardFeatures({modelPath: run.modelPath, layers: run.gate.features.layer, tokenizer: engine.chatTokenizer, threads: engine.threads, device: options.gpu === false ? "cpu" : "auto"});
        // Remembered per prompt: under the first-turn policy each later turn of a chat is decided on its first turn again.
        const router = createRouter({engine, adapter: RUN_ADAPTER_NAME, gate: run.gate, features: cachedFeatures(features), policy: options.policy, force: options.force});
        const f = features;
        const dispose = async () => {
            f.dispose();
            await engine.dispose();
        };
        return {run, engine, features: f, router, dispose, [Symbol.asyncDispose]: dispose};
    } catch (err) {
        features?.dispose();
        await engine.dispose();
        throw err;
    }
}
