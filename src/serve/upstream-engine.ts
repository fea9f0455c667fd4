import {OpenAIEngine} from "../engine/openai-engine.js";
import {ModelListResponse} from "../engine/openai-protocol.js";
import {ResourceError, UsageError} from "../util/prism-error.js";

export type UpstreamEngineOptions = {
    /** The upstream server's API root, e.g. `http://127.0.0.1:8000/v1`; a URL without a path gets `/v1`. Required. */
    url: string,
    /** The upstream's model name for the base model. Defaults to the first model its GET /v1/models lists (vLLM and llama-server list the base model first). */
    baseModel?: string,
    /** The adapter: its name in prism, and the upstream's model name for it (vLLM's `--lora-modules NAME=PATH`). `model` defaults to `name`. */
    adapter?: {name: string, model?: string},
    /** Sent as a bearer token. Defaults to none. */
    apiKey?: string,
    /** Requests sent to the upstream at once by one batch. Defaults to `8`. */
    concurrency?: number,
    /** How long the startup check waits for GET /v1/models. Defaults to `10000`. */
    checkTimeoutMs?: number
};

export type UpstreamEngine = {engine: OpenAIEngine, baseURL: string, baseModel: string, adapterModel: string | null, upstreamModels: string[]};

/**
 * An `OpenAIEngine` for generating on an upstream vLLM, llama-server or Ollama, checked before serving: the upstream
 * must answer GET /v1/models and list the base and adapter model names, so a typo or a missing `--lora-modules`
 * fails at startup with the names the upstream does have, not on the first request.
 */
export async function openUpstreamEngine(options: UpstreamEngineOptions): Promise<UpstreamEngine> {
    const baseURL = apiRoot(options.url);
    const upstreamModels = await listUpstreamModels(baseURL, options.apiKey, options.checkTimeoutMs ?? 10_000);
    const baseModel = options.baseModel ?? upstreamModels[0];
    if (baseModel === undefined) throw new UsageError(`the upstream ${baseURL} lists no models`, {hint: "load a model on the upstream server, or name it with --upstream-base-model"});
    const adapterModel = options.adapter ? options.adapter.model ?? options.adapter.name : null;
    for (const [flag, name] of [["--upstream-base-model", baseModel], ["--upstream-adapter-model", adapterModel]] as const) {
        if (name !== null && !upstreamModels.includes(name)) {
            throw new UsageError(`the upstream ${baseURL} has no model "${name}" (it lists: ${upstreamModels.join(", ")})`, {
                hint: `pass the upstream's name with ${flag}${flag === "--upstream-adapter-model" ? "; vLLM serves an adapter under the name given in --lora-modules NAME=PATH" : ""}`
            });
        }
    }
    const engine = new OpenAIEngine({
        baseURL, model: baseModel, apiKey: options.apiKey ?? "", concurrency: options.concurrency,
        adapters: options.adapter ? {[options.adapter.name]: adapterModel!} : {}
    });
    return {engine, baseURL, baseModel, adapterModel, upstreamModels};
}

/** `http://host:port` → `http://host:port/v1`; a URL with a path is kept as it is. */
export function apiRoot(url: string): string {
    let parsed: URL;
    try {
        parsed = new URL(url);
    } catch {
        throw new UsageError(`--upstream ${url} is not a URL`, {hint: "e.g. --upstream http://127.0.0.1:8000/v1"});
    }
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new UsageError(`--upstream ${url}: only http and https upstreams are supported`);
    const root = url.replace(/\/+$/, "");
    return parsed.pathname === "/" ? `${root}/v1` : root;
}

async function listUpstreamModels(baseURL: string, apiKey: string | undefined, timeoutMs: number): Promise<string[]> {
    let response: Response;
    try {
        response = await fetch(`${baseURL}/models`, {headers: apiKey ? {authorization: `Bearer ${apiKey}`} : {}, signal: AbortSignal.timeout(timeoutMs)});
    } catch (err) {
        throw new ResourceError("E_UPSTREAM", `cannot reach the upstream at ${baseURL}/models: ${(err as Error).message}`, {
            cause: err, hint: "start the upstream server first, and check the --upstream URL"
        });
    }
    if (response.status === 401 || response.status === 403) {
        throw new UsageError(`the upstream ${baseURL} refused the API key (${response.status})`, {hint: "pass the upstream's key with --upstream-api-key"});
    }
    const body = ModelListResponse.safeParse(response.ok ? await response.json().catch(() => null) : null);
    if (!body.success) {
        throw new ResourceError("E_UPSTREAM", `the upstream ${baseURL} did not list its models (GET /models answered ${response.status})`, {
            hint: "the upstream must be an OpenAI-compatible server (vLLM, llama-server, Ollama); check the --upstream URL, which should end in /v1"
        });
    }
    return body.data.data.map((m) => m.id);
}
