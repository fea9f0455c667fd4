/**
 * The one way prism talks to an LLM. Two implementations: `LlamaEngine` (embedded llama.cpp through node-llama-cpp,
 * the default) and `OpenAIEngine` (any OpenAI-compatible server). Everything above this layer (gate, pipeline, eval,
 * serve) depends only on this type.
 *
 * Conventions: adapters are chosen per request by name (`null`/absent = the untouched base model); a feature an
 * engine cannot honour throws `UnsupportedFeatureError` (never a silent fallback); results are plain data.
 */

import type {ChatMessage, ConversationMessage, FunctionTool, ToolCall} from "../model/chat-tokenizer.js";

export type {ChatMessage, ConversationMessage, FunctionTool, ToolCall};
export type ChatRole = ChatMessage["role"];

/** Whether and which tool the model must call, as the AI SDK says it. Defaults to `{type: "auto"}`. */
export type ToolChoice = {type: "auto"} | {type: "none"} | {type: "required"} | {type: "tool", toolName: string};

export type SamplingOptions = {
    /** 0 is greedy (deterministic). Defaults to `0`. */
    temperature?: number,
    /** Nucleus sampling. Defaults to `1` (off). */
    topP?: number,
    /** Defaults to `0` (off). */
    topK?: number,
    /** Sampling seed; the same seed, prompt and settings give the same text. Defaults to `0`. */
    seed?: number,
    /** Defaults to `256`. */
    maxTokens?: number,
    /** Generation stops before any of these strings (which are not included in the text). */
    stop?: readonly string[],
    /**
     * Tokens a reasoning model (one whose chat template has `<think>`: the DeepSeek-R1 distills, QwQ) may spend
     * thinking, on top of `maxTokens`; other models ignore it. Defaults to `0`.
     */
    thinkingMaxTokens?: number
};

export type GenerateRequest = SamplingOptions & {
    messages: readonly ConversationMessage[],
    /** Tools the model may call; a call ends the generation with finish reason `tool-calls`. */
    tools?: readonly FunctionTool[],
    toolChoice?: ToolChoice,
    /** A registered adapter's name, or `null` for the base model. Defaults to `null`. */
    adapter?: string | null,
    /** Overrides the adapter's registered scale for this request (llama engine). */
    adapterScale?: number,
    /** Set by routing middleware; echoed in the result. */
    route?: RouteInfo,
    signal?: AbortSignal
};

export type Usage = {inputTokens: number, outputTokens: number};
export type FinishReason = "stop" | "length" | "abort" | "tool-calls";

/** Set by routing middleware: which model answered and why. */
export type RouteInfo = {adapter: string | null, score: number | null, reason: "gate" | "explicit" | "reused"};

export type GenerateResult = {
    text: string,
    finishReason: FinishReason,
    usage: Usage,
    /** The adapter that produced the text (`null` = base). */
    adapter: string | null,
    /** The tools the model called, when it called any (finish reason `tool-calls`). */
    toolCalls?: ToolCall[],
    route?: RouteInfo
};

export type StreamPart =
    | {type: "route", route: RouteInfo}
    | {type: "text-delta", delta: string}
    /** A tool call begins; its arguments follow as `tool-input-delta`s, then the whole call as `tool-call`. */
    | {type: "tool-input-start", id: string, toolName: string}
    | {type: "tool-input-delta", id: string, delta: string}
    | ({type: "tool-call"} & ToolCall)
    | {type: "finish", finishReason: FinishReason, usage: Usage, adapter: string | null};

/** A JSON Schema (the subset node-llama-cpp's grammar and OpenAI's `response_format` both accept). */
export type JsonSchema = Record<string, unknown>;

export type ObjectRequest = GenerateRequest & {schema: JsonSchema};
export type ObjectResult<T> = {object: T, text: string, usage: Usage, adapter: string | null};

export type ScoreRequest = {
    /** The prompt; formatted with the chat template and the assistant generation prompt. */
    messages: readonly ConversationMessage[],
    /**
     * A raw text prompt scored as it is, without the chat template (lm-evaluation-harness style); `messages` then
     * only tell routing middleware what the request is about.
     */
    text?: string,
    /** Texts whose log-probability as the start of the assistant's answer is wanted. */
    continuations: readonly string[],
    adapter?: string | null,
    route?: RouteInfo
};
export type ContinuationScore = {
    tokens: number[],
    /** Natural-log probability of each continuation token given everything before it. */
    logprobs: number[],
    /** Sum of `logprobs`. */
    total: number
};

export type TopLogprobsRequest = {
    messages: readonly ConversationMessage[],
    /** The assistant response to walk along (teacher forcing). */
    response: string,
    /** Defaults to `64`. */
    k?: number,
    adapter?: string | null,
    route?: RouteInfo
};
export type TopLogprobsResult = {
    /** Tokens of `response`. */
    tokens: number[],
    /** Log-probability of each actual response token. */
    tokenLogprobs: number[],
    /** For each response position, the k most likely next tokens (before that position's token) and their log-probs, best first. */
    top: {ids: Int32Array, logprobs: Float32Array}[]
};

export type PromptVectorRequest = {messages: readonly ConversationMessage[], adapter?: string | null, route?: RouteInfo};

/** What every request kind has in common: middleware (the gate router) reads the messages and sets the adapter. */
export type RoutableRequest = {messages: readonly ConversationMessage[], adapter?: string | null, route?: RouteInfo};

export type EngineCapabilities = {
    logprobs: boolean,
    promptVector: boolean,
    jsonSchema: boolean,
    /** The model can call `tools` (the llama engine: its chat template has a function-calling syntax node-llama-cpp knows). */
    tools: boolean,
    /** Adapters can be added at run time with `loadAdapter`. */
    loadAdapter: boolean
};

export type AdapterInfo = {name: string, path?: string, scale: number};

export type PrismEngine = {
    readonly specificationVersion: "v1",
    /** "llama" or "openai". */
    readonly engineId: string,
    /** The model path, URI or server model name. */
    readonly modelId: string,
    readonly capabilities: EngineCapabilities,

    /** Generates for many conversations at once (batched over parallel sequences where the engine can). Results keep the input order. */
    generate(requests: readonly GenerateRequest[], options?: {onProgress?(done: number, total: number): void}): Promise<GenerateResult[]>,
    /** Streams one generation. */
    stream(request: GenerateRequest): AsyncIterable<StreamPart>,
    /** Generates JSON constrained to `schema`; the result is parsed and validated, or a `SchemaGenerationError` is thrown. */
    generateObject<T = unknown>(request: ObjectRequest): Promise<ObjectResult<T>>,
    scoreContinuations(request: ScoreRequest): Promise<ContinuationScore[]>,
    topLogprobs(request: TopLogprobsRequest): Promise<TopLogprobsResult>,
    /** A vector of the model's width from its own hidden states for the prompt. */
    promptVector(request: PromptVectorRequest): Promise<Float32Array>,

    listAdapters(): AdapterInfo[],
    /** Registers an adapter under `name` (llama: a GGUF LoRA path; openai: a server model name). */
    loadAdapter(name: string, source: string, options?: {scale?: number}): Promise<AdapterInfo>,

    dispose(): Promise<void>,
    [Symbol.asyncDispose](): Promise<void>
};
