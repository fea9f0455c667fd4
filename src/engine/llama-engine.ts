import crypto from "node:crypto";
import os from "node:os";
import path from "node:path";
import {
    type ChatWrapper, getLlama, LlamaGrammarEvaluationState, LlamaLogLevel, LlamaText, resolveChatWrapper, resolveModelFile,
    type Llama, type LlamaContext, type LlamaContextSequence, type LlamaEmbeddingContext, LlamaGrammar, type LlamaModel, type Token
} from "node-llama-cpp";
import {z} from "zod";
import type {ChatTokenizer} from "../model/chat-tokenizer.js";
import {GgufFile} from "../model/gguf-file.js";
import {InvalidModelFileError} from "../model/invalid-model-file-error.js";
import {DisposedError} from "../util/disposed-error.js";
import {InterruptedError, PrismError, ResourceError, UsageError} from "../util/prism-error.js";
import {checkAdapterFitsModel} from "./adapter-compatibility.js";
import type {
    AdapterInfo, ContinuationScore, EngineCapabilities, FinishReason, FunctionTool, GenerateRequest, GenerateResult, ObjectRequest, ObjectResult,
    PrismEngine, PromptVectorRequest, ScoreRequest, StreamPart, TopLogprobsRequest, TopLogprobsResult
} from "./engine.js";
import {NoSuchAdapterError, PromptTooLongError} from "./engine-errors.js";
import {collectStream} from "./collect-stream.js";
import {LlamaChatTokenizer} from "./llama-chat-tokenizer.js";
import {objectFromGeneration} from "./object-from-generation.js";
import {resolveSampling, type SamplingSettings} from "./sampling.js";
import {AnswerTextMatcher} from "./answer-text-matcher.js";
import {alignSequence, SequencePool} from "./sequence-pool.js";
import {serializeSampling} from "./serialize-sampling.js";
import {TokenTextDecoder} from "./token-text-decoder.js";
import {toolCallSyntax, type ToolCallSyntax} from "./tool-call-syntax.js";
import {UnsupportedFeatureError} from "./unsupported-feature-error.js";

export type LlamaEngineOptions = {
    /** A GGUF file, or a URI node-llama-cpp resolves (`hf:user/repo:Q4_K_M`, `https://…/model.gguf`), downloaded once into `modelCacheDir`. */
    model: string,
    /** Where model URIs are downloaded. Defaults to `~/.cache/prism/models`. */
    modelCacheDir?: string,
    /** CPU threads. `"auto"`: 1 for models narrower than 512, else the physical cores. Defaults to `"auto"`. */
    threads?: "auto" | number,
    /** `"auto"` offloads to a GPU when node-llama-cpp finds one; `false` stays on the CPU. Defaults to `"auto"`. */
    gpu?: "auto" | false,
    /** Tokens per sequence (prompt and answer together). Defaults to `min(4096, the model's training context)`. */
    contextSize?: number,
    /**
     * Sequences per context: how many requests are decoded together in one batch. `"auto"`: 8 when the model's layers
     * are offloaded to a GPU (where a batch costs little more than one sequence), else 1. Defaults to `4`.
     */
    parallel?: number | "auto",
    /** Adapters to register while loading. */
    adapters?: readonly {name: string, path: string, scale?: number}[],
    /** Download and load progress, each stage from 0 to 1. */
    onLoadProgress?(progress: {stage: "download" | "load", fraction: number}): void,
    /** Cancels the download or load. */
    signal?: AbortSignal
};

const LlamaEngineSettings = z.object({
    model: z.string().min(1),
    modelCacheDir: z.string().default(path.join(os.homedir(), ".cache", "prism", "models")),
    threads: z.union([z.literal("auto"), z.number().int().min(1).max(1024)]).default("auto"),
    gpu: z.union([z.literal("auto"), z.literal(false)]).default("auto"),
    contextSize: z.number().int().min(16).optional(),
    parallel: z.union([z.literal("auto"), z.number().int().min(1).max(256)]).default(4),
    adapters: z.array(z.object({name: z.string().min(1), path: z.string().min(1), scale: z.number().optional()})).default([])
});

/**
 * Below this width a decode step is so small that a second thread costs more in synchronisation than it saves
 * (measured on the 2-core dev machine: 50 tokens of a width-64 model take 10 ms on 1 thread, 75 ms on 2).
 */
const SINGLE_THREAD_BELOW_WIDTH = 512;
/** Sequences batched by `parallel: "auto"` on a GPU. */
export const GPU_AUTO_PARALLEL = 8;

type RegisteredAdapter = {name: string, path: string, scale: number};

/** Engines made and not yet disposed (an engine never disposed stays here: it still holds its model). */
const liveEngines = new Set<LlamaEngine>();
type ContextSlot = {context: LlamaContext, pool: SequencePool};

/**
 * The embedded llama.cpp engine (node-llama-cpp). One loaded model serves the base and every adapter: llama.cpp
 * applies LoRA per context, so each (adapter, scale) pair gets its own context, made on first use and sharing the
 * model's weights. Each context holds `parallel` sequences; concurrent requests are decoded together in one batch.
 * The engine is stateless: each request brings its whole conversation, and a sequence's KV cache is reused only as
 * a prefix cache.
 */
export class LlamaEngine implements PrismEngine {
    readonly specificationVersion = "v1";
    readonly engineId = "llama";
    readonly capabilities: EngineCapabilities;
    /** The exact tokens this engine feeds the model (the trainer tokenizes with it). */
    readonly chatTokenizer: ChatTokenizer;

    private readonly adapters = new Map<string, RegisteredAdapter>();
    private readonly contexts = new Map<string, Promise<ContextSlot>>();
    private readonly grammars = new Map<string, Promise<LlamaGrammar>>();
    private embeddingContext?: Promise<LlamaEmbeddingContext>;
    private readonly tokenizer: LlamaChatTokenizer;
    private readonly templateStopStrings: string[];
    /** The template's tool-call syntax; `null` when it has none prism can drive (`toolsUnsupported` says why). */
    private readonly toolSyntax: ToolCallSyntax | null;
    private readonly toolsUnsupported: string | null;
    private _disposed = false;

    private constructor(
        readonly modelId: string,
        /** The resolved GGUF path. */
        readonly modelPath: string,
        private readonly modelFile: GgufFile,
        private readonly llama: Llama,
        private readonly model: LlamaModel,
        /** Tokens per sequence. */
        readonly contextSize: number,
        readonly parallel: number,
        readonly threads: number,
        chatWrapper: ChatWrapper
    ) {
        this.tokenizer = new LlamaChatTokenizer(model, chatWrapper);
        this.chatTokenizer = this.tokenizer;
        this.templateStopStrings = this.tokenizer.templateStopStrings;
        const syntax = toolCallSyntax(chatWrapper);
        [this.toolSyntax, this.toolsUnsupported] = "unsupported" in syntax ? [null, syntax.unsupported] : [syntax, null];
        this.capabilities = {logprobs: true, promptVector: true, jsonSchema: true, loadAdapter: true, tools: this.toolSyntax !== null};
        this.reasoning = /<\/?think>/.test(modelFile.get<string>("tokenizer.chat_template") ?? "");
        liveEngines.add(this);
    }

    /**
     * Models llama.cpp holds for LlamaEngines in this process, read from node-llama-cpp's own handles (LlamaModel's
     * `disposed`): what tells whether the engine's memory was given back (bootstrap frees it before training).
     */
    static get loadedModelCount(): number {
        return [...liveEngines].filter((e) => !e.model.disposed).length;
    }

    /** Whether the model thinks before it answers (its chat template has `<think>`, as the DeepSeek-R1 distills' do). */
    readonly reasoning: boolean;

    static async load(options: LlamaEngineOptions): Promise<LlamaEngine> {
        const parsed = LlamaEngineSettings.safeParse(options);
        if (!parsed.success) {
            const issue = parsed.error.issues[0]!;
            throw new UsageError(`LlamaEngine option ${issue.path.join(".")}: ${issue.message}`);
        }
        const o = parsed.data;
        const modelPath = await resolveModelPath(o.model, o.modelCacheDir, options);
        const modelFile = await GgufFile.open(modelPath);
        if (modelFile.fileType === "adapter")
            throw new InvalidModelFileError(modelPath, "this is a LoRA adapter, not a model", {hint: "pass the base model with --model and the adapter with --adapter"});
        // Adapters are checked before the (slow) model load, so a mismatch fails fast.
        for (const a of o.adapters) checkAdapterFitsModel(await GgufFile.open(a.path), modelFile);
        const width = modelFile.get<number>(`${modelFile.architecture}.embedding_length`) ?? 0;
        const trainContext = modelFile.get<number>(`${modelFile.architecture}.context_length`) ?? 4096;

        const llama = await getLlama({
            gpu: o.gpu === false ? false : "auto", build: "never", maxThreads: 1, logLevel: LlamaLogLevel.error,
            logger: (_level, message) => process.stderr.write(`llama.cpp: ${message.trimEnd()}\n`)
        }).catch((err: unknown) => {
            throw new ResourceError("E_BACKEND", `node-llama-cpp could not start llama.cpp: ${(err as Error).message}`, {cause: err, hint: "try gpu: false (--gpu false)"});
        });
        const threads = o.threads === "auto" ? (width > 0 && width < SINGLE_THREAD_BELOW_WIDTH ? 1 : Math.max(1, llama.cpuMathCores)) : o.threads;
        llama.maxThreads = threads;
        let model: LlamaModel;
        try {
            model = await llama.loadModel({
                modelPath,
                gpuLayers: o.gpu === false ? 0 : "auto",
                loadSignal: options.signal,
                onLoadProgress: (fraction) => options.onLoadProgress?.({stage: "load", fraction})
            });
        } catch (err) {
            await llama.dispose();
            if (options.signal?.aborted) throw new InterruptedError("model load cancelled");
            throw new InvalidModelFileError(modelPath, `llama.cpp could not load it: ${(err as Error).message}`, {cause: err});
        }
        const chatWrapper = resolveChatWrapper(model);
        if (!chatWrapper) {
            await llama.dispose();
            throw new InvalidModelFileError(modelPath, "node-llama-cpp found no chat template for this model", {hint: "use a chat (instruct) model, whose GGUF has tokenizer.chat_template"});
        }
        const contextSize = o.contextSize ?? Math.min(4096, trainContext);
        const parallel = o.parallel !== "auto" ? o.parallel : llama.gpu !== false && model.gpuLayers > 0 ? GPU_AUTO_PARALLEL : 1;
        const engine = new LlamaEngine(o.model, modelPath, modelFile, llama, model, contextSize, parallel, threads, chatWrapper);
        try {
            // Checked against the model above, before the load.
            for (const a of o.adapters) engine.register(a.name, a.path, a.scale);
        } catch (err) {
            await engine.dispose();
            throw err;
        }
        return engine;
    }

    get disposed(): boolean {
        return this._disposed;
    }

    /** The model's hidden width (the length of `promptVector`'s result). */
    get embeddingWidth(): number {
        return this.model.embeddingVectorSize;
    }

    /** The model's transformer block count (0 when the GGUF does not say). */
    get blockCount(): number {
        return this.modelFile.get<number>(`${this.modelFile.architecture}.block_count`) ?? 0;
    }

    get vocabularySize(): number {
        return this.modelFile.get<string[]>("tokenizer.ggml.tokens")?.length ?? 0;
    }

    listAdapters(): AdapterInfo[] {
        return [...this.adapters.values()].map((a) => ({...a}));
    }

    /** Registers a GGUF LoRA adapter under `name` after checking that it fits the model. Defaults: scale `1`. */
    async loadAdapter(name: string, source: string, options: {scale?: number} = {}): Promise<AdapterInfo> {
        this.ensureAlive();
        const file = await GgufFile.open(source);
        checkAdapterFitsModel(file, this.modelFile);
        return this.register(name, source, options.scale);
    }

    private register(name: string, source: string, scale = 1): AdapterInfo {
        const adapter = {name, path: path.resolve(source), scale};
        this.adapters.set(name, adapter);
        return {...adapter};
    }

    async generate(requests: readonly GenerateRequest[], options: {onProgress?(done: number, total: number): void} = {}): Promise<GenerateResult[]> {
        this.ensureAlive();
        let done = 0;
        return Promise.all(requests.map(async (request) => {
            const result = await collectStream(this.run(request));
            options.onProgress?.(++done, requests.length);
            return result;
        }));
    }

    stream(request: GenerateRequest): AsyncIterable<StreamPart> {
        this.ensureAlive();
        return this.run(request);
    }

    async generateObject<T = unknown>(request: ObjectRequest): Promise<ObjectResult<T>> {
        this.ensureAlive();
        const grammar = await this.grammarFor(request.schema);
        return objectFromGeneration<T>(await collectStream(this.run(request, grammar)), request.schema);
    }

    async scoreContinuations(request: ScoreRequest): Promise<ContinuationScore[]> {
        this.ensureAlive();
        const continuations = request.continuations.map((c) => this.tokenizer.tokenize(c));
        const rows = await this.teacherForce(request.text ?? request.messages, request.adapter ?? null, continuations, (target, probabilities) => logOf(probabilities.get(target)));
        return rows.map((logprobs, i) => ({tokens: continuations[i]!, logprobs, total: logprobs.reduce((a, b) => a + b, 0)}));
    }

    async topLogprobs(request: TopLogprobsRequest): Promise<TopLogprobsResult> {
        this.ensureAlive();
        const k = Math.min(request.k ?? 64, this.vocabularySize);
        if (!Number.isInteger(k) || k < 1) throw new UsageError(`topLogprobs: k must be a positive integer, got ${request.k}`);
        const tokens = this.tokenizer.tokenize(request.response);
        const top: TopLogprobsResult["top"] = [];
        const [tokenLogprobs] = await this.teacherForce(request.messages, request.adapter ?? null, [tokens], (target, probabilities) => {
            // llama.cpp hands the distribution over sorted, most likely first.
            const ids = new Int32Array(k), logprobs = new Float32Array(k);
            let j = 0;
            for (const [id, p] of probabilities) {
                if (j === k) break;
                ids[j] = id;
                logprobs[j++] = logOf(p);
            }
            top.push({ids, logprobs});
            return logOf(probabilities.get(target));
        });
        return {tokens, tokenLogprobs: tokenLogprobs!, top};
    }

    /**
     * The final hidden state (after the output RMS norm, i.e. what the LM head reads) at the last prompt token, the
     * position that predicts the answer's first token; width = the model's embedding width. No pooling. Computed on
     * the base model: node-llama-cpp's embedding contexts cannot load adapters.
     */
    async promptVector(request: PromptVectorRequest): Promise<Float32Array> {
        this.ensureAlive();
        if (request.adapter != null)
            throw new UnsupportedFeatureError("llama", "promptVector with an adapter", "node-llama-cpp's embedding contexts cannot load LoRA adapters",
                "prompt vectors come from the base model; leave adapter unset");
        const tokens = this.tokenizer.formatPrompt(request.messages);
        if (tokens.length >= this.contextSize) throw new PromptTooLongError(tokens.length, this.contextSize);
        this.embeddingContext ??= this.model.createEmbeddingContext({contextSize: this.contextSize, threads: this.threads});
        const embedding = await (await this.embeddingContext).getEmbeddingFor(tokens);
        return Float32Array.from(embedding.vector);
    }

    async dispose(): Promise<void> {
        if (this._disposed) return;
        this._disposed = true;
        try {
            await this.llama.dispose();
        } finally {
            liveEngines.delete(this);
        }
    }

    async [Symbol.asyncDispose](): Promise<void> {
        await this.dispose();
    }

    /** One generation, as stream parts; `generate`, `stream` and `generateObject` all run through here. */
    private async *run(request: GenerateRequest, grammar?: LlamaGrammar): AsyncGenerator<StreamPart> {
        const s = resolveSampling(request);
        const adapter = request.adapter ?? null;
        const tools = this.offeredTools(request);
        if (grammar && tools.length > 0) throw new UsageError("tools cannot be combined with a JSON schema in one request", {hint: "send tools or response_format json_schema, not both"});
        const prompt = this.tokenizer.formatPrompt(request.messages, tools);
        if (prompt.length >= this.contextSize) throw new PromptTooLongError(prompt.length, this.contextSize);
        const thinking = this.reasoning ? request.thinkingMaxTokens ?? 0 : 0;
        if (!Number.isInteger(thinking) || thinking < 0) throw new UsageError(`invalid request setting thinkingMaxTokens: expected a whole number ≥ 0, got ${request.thinkingMaxTokens}`);
        const maxTokens = Math.min(s.maxTokens + thinking, this.contextSize - prompt.length);
        const usage = {inputTokens: prompt.length, outputTokens: 0};
        const slot = await this.contextFor(adapter, request.adapterScale);
        const sequence = await slot.pool.acquire(prompt);
        try {
            if (request.signal?.aborted) {
                yield {type: "finish", finishReason: "abort", usage, adapter};
                return;
            }
            const choice = request.toolChoice?.type ?? "auto";
            const forceCall = tools.length > 0 && (choice === "required" || choice === "tool");
            // Special tokens are written out while tools are offered, so a call that starts with one (Qwen's <tool_call>) is seen.
            const decoder = new TokenTextDecoder(this.model, {special: tools.length > 0});
            const matcher = new AnswerTextMatcher([...s.stop, ...this.templateStopStrings], tools.length > 0 && this.toolSyntax ? this.toolSyntax.starts : []);
            let text = "";
            let finishReason: FinishReason = maxTokens === 0 ? "length" : "stop";
            let stopped = false, call = forceCall && maxTokens > 0;
            if (maxTokens > 0 && !forceCall) {
                for await (const token of this.sample(sequence, prompt, s, grammar)) {
                    usage.outputTokens++;
                    const piece = matcher.push(decoder.push(token));
                    if (piece.text) {
                        text += piece.text;
                        yield {type: "text-delta", delta: piece.text};
                    }
                    if (piece.stopped || piece.call) {
                        [stopped, call] = [piece.stopped, piece.call];
                        break;
                    }
                    if (request.signal?.aborted) {
                        finishReason = "abort";
                        break;
                    }
                    if (usage.outputTokens >= maxTokens) {
                        finishReason = "length";
                        break;
                    }
                }
                if (!stopped && !call) {
                    const tail = matcher.push(decoder.flush(), true);
                    if (tail.text) {
                        text += tail.text;
                        yield {type: "text-delta", delta: tail.text};
                    }
                    if (tail.stopped) finishReason = "stop";
                    call = tail.call && finishReason === "stop";
                } else if (stopped) finishReason = "stop";
            }
            if (call) {
                const made = yield* this.callTool(sequence, request, tools, text, s, maxTokens - usage.outputTokens);
                finishReason = made.finishReason;
                usage.outputTokens = made.answerTokens - prompt.length;
            }
            yield {type: "finish", finishReason, usage, adapter};
        } finally {
            slot.pool.release(sequence);
        }
    }

    /** The tools a request offers the model, checked against its tool choice and the template. */
    private offeredTools(request: GenerateRequest): readonly FunctionTool[] {
        const tools = request.tools ?? [];
        const choice = request.toolChoice ?? {type: "auto"};
        if (choice.type === "none" || (tools.length === 0 && choice.type === "auto")) return [];
        if (tools.length === 0) throw new UsageError(`toolChoice ${choice.type} needs tools to choose from`, {hint: "send tools, or leave toolChoice unset"});
        if (choice.type === "tool" && !tools.some((t) => t.name === choice.toolName))
            throw new UsageError(`toolChoice names the tool "${choice.toolName}", which is not among the tools (${tools.map((t) => t.name).join(", ")})`);
        if (!this.toolSyntax)
            throw new UnsupportedFeatureError("llama", "tools", `${this.toolsUnsupported}`, "send the request without tools, or serve a model whose chat template calls tools (Qwen, Llama 3.1, Mistral, ChatML)");
        return tools;
    }

    /**
     * Writes one tool call after `text` (the answer so far): the template's call prefix, the function's name (fixed by
     * the tool choice or a single tool, else sampled under a grammar of the names), the parameters prefix, then the
     * arguments sampled under the tool's JSON-schema grammar, as node-llama-cpp's chat loop writes a call. One call per
     * turn: the model sees each result before it calls again. Not LlamaChat itself: it cannot force a call (OpenAI's
     * `tool_choice`), it shifts the context where prism refuses a prompt that is too long, and it would take the
     * sequence out of the pool that batches requests.
     */
    private async *callTool(
        sequence: LlamaContextSequence, request: GenerateRequest, tools: readonly FunctionTool[], text: string, s: SamplingSettings, budget: number
    ): AsyncGenerator<StreamPart, {finishReason: FinishReason, answerTokens: number}> {
        const syntax = this.toolSyntax!;
        const promptText = this.tokenizer.formatText(request.messages, tools);
        const tokensOf = (answer: LlamaText) => this.tokenizer.tokenizePrompt(promptText, answer);
        let answer = LlamaText([text, syntax.prefix]);
        let sampled = 0;
        const choice = request.toolChoice;
        let name = choice?.type === "tool" ? choice.toolName : tools.length === 1 ? tools[0]!.name : undefined;
        if (name === undefined) {
            const names = tools.map((t) => t.name);
            const decoder = new TokenTextDecoder(this.model);
            let written = "";
            if (budget > 0) {
                for await (const token of this.sample(sequence, tokensOf(answer), s, await this.namesGrammar(names))) {
                    written += decoder.push(token);
                    if (++sampled >= budget || request.signal?.aborted) break;
                }
            }
            written += decoder.flush();
            answer = LlamaText([answer, written]);
            if (!names.includes(written)) return {finishReason: request.signal?.aborted ? "abort" : "length", answerTokens: tokensOf(answer).length};
            name = written;
        }
        const tool = tools.find((t) => t.name === name)!;
        answer = LlamaText([answer, name, syntax.paramsPrefix]);
        const toolCallId = `call_${crypto.randomUUID().replaceAll("-", "").slice(0, 24)}`;
        yield {type: "tool-input-start", id: toolCallId, toolName: name};
        // The grammar lets whitespace pad the JSON; deltas leave it out, and sampling ends once the object is whole.
        let written = "", input = "";
        let finishReason: FinishReason = "tool-calls";
        const decoder = new TokenTextDecoder(this.model);
        const take = function* (delta: string): Generator<StreamPart> {
            written += delta;
            const next = written.trim();
            if (next.length > input.length) yield {type: "tool-input-delta", id: toolCallId, delta: next.slice(input.length)};
            input = next;
        };
        if (sampled < budget) {
            for await (const token of this.sample(sequence, tokensOf(answer), s, await this.grammarFor(argumentsSchema(tool)))) {
                yield* take(decoder.push(token));
                if (input.endsWith("}") && isJson(input)) break;
                if (request.signal?.aborted) {
                    finishReason = "abort";
                    break;
                }
                if (++sampled >= budget) {
                    finishReason = "length";
                    break;
                }
            }
        } else finishReason = "length";
        yield* take(decoder.flush());
        yield {type: "tool-call", toolCallId, toolName: name, input};
        return {finishReason, answerTokens: tokensOf(LlamaText([answer, input, syntax.suffix(name)])).length};
    }

    /** Tokens sampled after `tokens` (the whole sequence so far), reusing what the sequence has cached; ends at end-of-generation. */
    private async *sample(sequence: LlamaContextSequence, tokens: readonly Token[], s: SamplingSettings, grammar?: LlamaGrammar): AsyncGenerator<Token> {
        const toEvaluate = await alignSequence(sequence, tokens);
        yield* sequence.evaluate(toEvaluate, {
            temperature: s.temperature, topP: s.topP, topK: s.topK, minP: 0, seed: s.seed,
            grammarEvaluationState: grammar ? new LlamaGrammarEvaluationState({model: this.model, grammar}) : undefined
        });
    }

    /**
     * Teacher forcing: for each token list, evaluates the prompt's last token and the list (but its last token), and
     * reads the next-token distribution at each position. The prompt itself is evaluated once for all lists.
     */
    private async teacherForce<R>(
        messages: GenerateRequest["messages"] | string, adapter: string | null, lists: readonly Token[][],
        read: (target: Token, probabilities: Map<Token, number>) => R
    ): Promise<R[][]> {
        const prompt = typeof messages === "string" ? this.tokenizer.tokenizeRawPrompt(messages) : this.tokenizer.formatPrompt(messages);
        const longest = Math.max(0, ...lists.map((l) => l.length));
        if (prompt.length + longest > this.contextSize) throw new PromptTooLongError(prompt.length + longest, this.contextSize);
        const slot = await this.contextFor(adapter, undefined);
        const sequence = await slot.pool.acquire(prompt);
        try {
            const rest = await alignSequence(sequence, prompt);
            if (rest.length > 1) await sequence.evaluateWithoutGeneratingNewTokens(rest.slice(0, -1));
            // The distribution after the prompt is the same for every list: read it once, so single-token
            // continuations (MMLU's four letters) cost one evaluation instead of one each.
            // The default sampler is greedy, which leaves the whole vocabulary in the distribution.
            const [afterPrompt] = await sequence.controlledEvaluate([[prompt.at(-1)!, {generateNext: {probabilities: true}}]]);
            const first = afterPrompt?.next.probabilities;
            if (!first) throw new Error("llama.cpp returned no distribution after the prompt");
            const results: R[][] = [];
            for (const targets of lists) {
                if (targets.length === 0) {
                    results.push([]);
                    continue;
                }
                const row = [read(targets[0]!, first)];
                if (targets.length > 1) {
                    const out = await sequence.controlledEvaluate(targets.slice(0, -1).map((token) => [token, {generateNext: {probabilities: true}}]));
                    for (let i = 1; i < targets.length; i++) {
                        const probabilities = out[i - 1]?.next.probabilities;
                        if (!probabilities) throw new Error(`llama.cpp returned no distribution at position ${i}`);
                        row.push(read(targets[i]!, probabilities));
                    }
                    await sequence.eraseContextTokenRanges([{start: prompt.length, end: sequence.nextTokenIndex}]);
                }
                results.push(row);
            }
            return results;
        } finally {
            slot.pool.release(sequence);
        }
    }

    private contextFor(adapterName: string | null, scaleOverride: number | undefined): Promise<ContextSlot> {
        let adapter: RegisteredAdapter | undefined;
        if (adapterName != null) {
            adapter = this.adapters.get(adapterName);
            if (!adapter) throw new NoSuchAdapterError(adapterName, [...this.adapters.keys()]);
        }
        const scale = scaleOverride ?? adapter?.scale ?? 1;
        const key = adapter ? `${adapter.path}\0${scale}` : "base";
        let slot = this.contexts.get(key);
        if (!slot) {
            slot = this.model.createContext({
                contextSize: this.contextSize, sequences: this.parallel, threads: this.threads,
                lora: adapter ? {adapters: [{filePath: adapter.path, scale}]} : undefined
            }).then((context) => {
                serializeSampling(context);
                return {context, pool: new SequencePool(context)};
            }, (err: unknown) => {
                this.contexts.delete(key);
                if (PrismError.isInstance(err)) throw err;
                throw new ResourceError("E_CONTEXT", `llama.cpp could not create a context${adapter ? ` with adapter ${adapter.name}` : ""}: ${(err as Error).message}`, {
                    cause: err, hint: "lower contextSize or parallel"
                });
            });
            this.contexts.set(key, slot);
        }
        return slot;
    }

    /** A grammar that accepts exactly one of `names`. */
    private namesGrammar(names: readonly string[]): Promise<LlamaGrammar> {
        const key = `names\0${JSON.stringify(names)}`;
        let grammar = this.grammars.get(key);
        if (!grammar) {
            grammar = this.llama.createGrammar({grammar: `root ::= ${names.map((n) => JSON.stringify(n)).join(" | ")}`}).catch((err: unknown) => {
                this.grammars.delete(key);
                throw new UsageError(`llama.cpp cannot build a grammar for the tool names ${names.join(", ")}: ${(err as Error).message}`, {cause: err});
            });
            this.grammars.set(key, grammar);
        }
        return grammar;
    }

    private grammarFor(schema: ObjectRequest["schema"]): Promise<LlamaGrammar> {
        const key = JSON.stringify(schema);
        let grammar = this.grammars.get(key);
        if (!grammar) {
            grammar = this.llama.createGrammarForJsonSchema(schema as Parameters<Llama["createGrammarForJsonSchema"]>[0])
                .then((json): LlamaGrammar => (this.reasoning ? thinkingThenJson(this.llama, json) : json)).catch((err: unknown) => {
                this.grammars.delete(key);
                throw new UsageError(`llama.cpp cannot build a grammar for this JSON schema: ${(err as Error).message}`, {cause: err, hint: "node-llama-cpp's grammars take a subset of JSON Schema (no $ref cycles, no pattern); simplify the schema"});
            });
            this.grammars.set(key, grammar);
        }
        return grammar;
    }

    private ensureAlive(): void {
        if (this._disposed) throw new DisposedError("LlamaEngine");
    }
}

async function resolveModelPath(model: string, cacheDir: string, options: LlamaEngineOptions): Promise<string> {
    if (!/^(hf:|huggingface:|https?:)/.test(model)) return model;
    try {
        return await resolveModelFile(model, {
            directory: cacheDir, download: "auto", cli: false, signal: options.signal,
            onProgress: ({totalSize, downloadedSize}) => options.onLoadProgress?.({stage: "download", fraction: totalSize > 0 ? downloadedSize / totalSize : 0})
        });
    } catch (err) {
        if (options.signal?.aborted) throw new InterruptedError("model download cancelled");
        throw new ResourceError("E_MODEL_DOWNLOAD", `could not resolve ${model}: ${(err as Error).message}`, {
            cause: err, hint: "check the URI and the network, or download the GGUF yourself and pass its path"
        });
    }
}

/**
 * ln p for a probability from llama.cpp. node-llama-cpp 3.21 returns probabilities in float32, not logits, so anything
 * below the smallest float32 (ln p < −103.3) reads as 0; it is clamped there rather than becoming −Infinity.
 */
function logOf(p: number | undefined): number {
    return Math.log(Math.max(p ?? 0, MIN_FLOAT32));
}

const MIN_FLOAT32 = 1.401298464324817e-45;

function isJson(text: string): boolean {
    try {
        JSON.parse(text);
        return true;
    } catch {
        return false;
    }
}

/** The JSON Schema a tool's arguments are sampled under; a tool without parameters takes `{}`. */
function argumentsSchema(tool: FunctionTool): ObjectRequest["schema"] {
    const schema = tool.inputSchema;
    return schema.type === "object" && schema.properties != null ? schema : {type: "object", properties: {}};
}

/**
 * A reasoning model's grammar: an optional thinking block (its opening tag may already be in the prompt, as the R1
 * templates put it there), then the JSON. The thinking may hold any text but "</".
 */
function thinkingThenJson(llama: Llama, json: LlamaGrammar): LlamaGrammar {
    return new LlamaGrammar(llama, {
        grammar: `${json.grammar}
prism-thinking-root ::= prism-think? ${json.rootRuleName}
prism-think ::= "<think>"? prism-thought "</think>" [ \\t\\n]*
prism-thought ::= ([^<] | "<" [^/])*
`,
        rootRuleName: "prism-thinking-root"
    });
}

