import {createHash} from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {loadChatTokenizer} from "../engine/load-chat-tokenizer.js";
import {LLAMA, loadLibLlama, type LlamaContextPtr, type LlamaModelPtr, type OptDatasetPtr, type RawLibLlama} from "../ggml/libllama.js";
import {GgufFile} from "../model/gguf-file.js";
import {GgmlType} from "../model/ggml-type.js";
import {gguf} from "../model/gguf-value.js";
import {writeGguf, type GgufTensorToWrite} from "../model/gguf-writer.js";
import {encodeTensor, decodeTensor} from "../model/quantize.js";
import {buildTinyModel, type TinyModelConfig} from "../model/tiny-model.js";
import {mergeLora} from "../lora/merge-lora.js";
import {FullTrainer} from "../train/full-trainer.js";
import {LoraTrainer} from "../train/lora-trainer.js";
import {tokenizeExamples, type TrainingExample} from "../train/training-example.js";
import {writeJsonAtomic} from "../util/atomic-write.js";
import {InterruptedError, ResourceError, UsageError} from "../util/prism-error.js";
import {Rng} from "../util/rng.js";
import {generateWorldTasks} from "./generate-tasks.js";
import {packEpisodes} from "./pack-episodes.js";
import {renderChatml, renderWorldCorpus, type WorldEpisode} from "./render-corpus.js";

/**
 * Every setting of a world build, up front (saved in the model's JSON record). The defaults are the committed
 * `models/world.gguf` (not committed yet); a test builds a much smaller one.
 */
export const defaultWorldBuildConfig = {
    /** Seed of the tasks, the corpus wording, the initial weights and the data order. */
    seed: 1,
    /** Training tasks per domain (the held-out evaluation draws other seeds). */
    perDomain: 50,
    /** BPE merges learned on the corpus. */
    merges: 1500,
    /** Model shape: llama, hidden width C, L blocks, heads, key/value heads. */
    dim: 128, layers: 4, heads: 4, kvHeads: 2,
    /** Training window T (also the model's context length); episodes are packed whole into windows. */
    context: 512,
    /** Passes over the training windows (fractions end part-way through the last pass). */
    epochs: 1,
    /** AdamW peak learning rate; linear warm-up, then cosine to `minLrRatio` × peak. */
    lr: 1e-3, warmupSteps: 50, minLrRatio: 0.1, weightDecay: 0,
    /** Windows per llama_opt_epoch call (the granularity of progress and interruption). */
    chunkWindows: 16,
    /** Held-out windows evaluated after each pass. */
    evalWindows: 16,
    /** CPU threads; 1 by default because llama.cpp's spinning thread barriers lose badly to a second busy process on 2 cores. */
    threads: 1,
    /**
     * Stage 2: passes of reply-only LoRA SFT (prism's own trainer, loss on each episode's last assistant message)
     * over the same episodes, merged into the weights afterwards; 0 skips the stage. Whole-episode loss alone
     * leaves the replies (a small share of the tokens) untaught.
     */
    sftEpochs: 8,
    /**
     * What stage 2 trains: "full", every weight (prism's FullTrainer: embeddings, norms and output head too); or
     * "lora", a rank-`sftRank` LoRA on every projection, merged into the weights afterwards.
     */
    sftMode: "full" as "full" | "lora",
    /** With sftMode "lora": the rank on every projection of every block (alpha = rank, so the update's scale is 1). */
    sftRank: 64,
    /** Stage 2's AdamW peak learning rate (warm-up, then cosine). */
    sftLr: 2e-3,
    /** Stage 2's episodes per optimiser step. */
    sftBatch: 4,
    /** Held-out episodes whose reply loss is measured before and after stage 2. */
    sftEvalEpisodes: 64,
    /** Storage of the committed weight matrices. */
    dtype: "q8_0" as "q8_0" | "f16" | "f32"
};
export type WorldBuildConfig = typeof defaultWorldBuildConfig;

export type WorldBuildProgress =
    | {stage: "corpus", episodes: number, windows: number, tokens: number, dropped: number, fill: number, parameters: number, vocab: number}
    | {stage: "train", step: number, steps: number, epoch: number, loss: number, accuracy: number, lr: number, tokensPerSecond: number}
    | {stage: "eval", epoch: number, loss: number, accuracy: number}
    | {stage: "sft-start", episodes: number, dropped: number, steps: number, trainableParameters: number}
    | {stage: "sft", step: number, steps: number, /** The pass (0-based) the step belongs to. */ epoch: number, loss: number, lr: number, tokensPerSecond: number}
    | {stage: "sft-eval", after: boolean, replyLoss: number, episodes: number};

export type BuildWorldModelOptions = Partial<WorldBuildConfig> & {
    /** Output GGUF path; its JSON record is written beside it (`.json` in place of `.gguf`). */
    out: string,
    /** The command line recorded in the JSON record. */
    command?: string,
    /** Stops after the current chunk of windows; nothing is written. */
    signal?: AbortSignal,
    onProgress?(p: WorldBuildProgress): void
};

export type WorldBuildRecord = {
    format: "prism-world-model", version: 1,
    config: WorldBuildConfig, command: string,
    /** sha256 of the rendered training corpus (every episode's ChatML, in order). */
    corpusSha256: string,
    corpus: {episodes: number, windows: number, tokens: number, dropped: number, fill: number},
    model: {parameters: number, vocab: number, ff: number, bytes: number},
    steps: number, firstLoss: number, finalTrainLoss: number, evals: {epoch: number, loss: number, accuracy: number}[],
    /** Stage 2 (reply-only LoRA SFT, merged); null when sftEpochs is 0. */
    sft: WorldSftRecord | null,
    /** Wall-clock seconds, and the CPU seconds this process used (on a shared machine the honest measure of work). */
    buildSeconds: number, cpuSeconds: number, threads: number, node: string
};

export type WorldSftRecord = {
    /** What was trained: every weight, or a LoRA merged afterwards. */
    mode: WorldBuildConfig["sftMode"],
    /** Training episodes, and those left out because they outgrow the context. */
    episodes: number, dropped: number, replyTokens: number,
    trainableParameters: number, steps: number,
    /** Reply loss (nats per reply token) of the first and last optimiser steps. */
    firstLoss: number, finalLoss: number,
    /** Reply loss on held-out episodes (another seed's tasks) before and after stage 2. */
    heldOut: {episodes: number, before: number, after: number},
    tokensPerSecond: number, seconds: number
};

/**
 * Builds the planted world's model: renders the world through prism's prompts, learns a byte-level BPE vocabulary on
 * it, initialises a llama model from the seed, trains every parameter with llama.cpp's own optimiser
 * (llama_opt_epoch, AdamW, next-token loss on whole episodes); then (stage 2) trains a high-rank LoRA on every
 * block with prism's trainer, loss on the replies only, tokenized through the model's chat template as inference
 * prompts it, and merges it into the F32 weights; and writes the weights with the tiny model's metadata (ChatML
 * template included), matrices in `dtype`.
 */
export async function buildWorldModel(options: BuildWorldModelOptions): Promise<WorldBuildRecord> {
    const {out, command = "", signal, onProgress, ...overrides} = options;
    const cfg: WorldBuildConfig = {...defaultWorldBuildConfig, ...overrides};
    validate(cfg);
    const started = performance.now(), cpuStarted = process.cpuUsage();

    // Corpus: training tasks with the build seed; the held-out windows come from another seed's tasks.
    const episodes = renderBuildCorpus(cfg);
    const heldOutEpisodes = renderBuildCorpus({seed: cfg.seed + 1_000_000, perDomain: Math.max(2, Math.ceil(cfg.perDomain / 10))});
    const texts = episodes.map((e) => renderChatml(e.messages)), heldOut = heldOutEpisodes.map((e) => renderChatml(e.messages));
    const corpusSha256 = corpusDigest(texts);

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "prism-world-"));
    const initPath = path.join(dir, "init.gguf"), trainedPath = path.join(dir, "trained.gguf");
    const stage1Path = path.join(dir, "stage1.gguf"), mergedPath = path.join(dir, "merged.gguf");
    const lib = await loadLibLlama();
    let model: LlamaModelPtr | null = null, ctx: LlamaContextPtr | null = null;
    const datasets: OptDatasetPtr[] = [];
    try {
        const built = buildTinyModel({arch: "llama", dim: cfg.dim, layers: cfg.layers, heads: cfg.heads, kvHeads: cfg.kvHeads, vocab: "bpe",
            merges: cfg.merges, contextLength: cfg.context, seed: cfg.seed, dtype: "f32"}, {
            corpus: texts.join(""), name: `prism-world-L${cfg.layers}-D${cfg.dim}-s${cfg.seed}`,
            description: "The planted world's chat model (prism world build): trained on the world rendered through prism's prompts, so its persona effects are known."
        });
        await writeGguf(initPath, built.metadata, built.tensors);
        const vocab = (built.metadata["tokenizer.ggml.tokens"]!.value as string[]).length;
        const pad = (built.metadata["tokenizer.ggml.padding_token_id"]!.value as number);

        lib.llama_backend_init();
        // Writable weights (no mmap), as llama.cpp's own finetune example loads them.
        model = lib.llama_model_load_from_file(initPath, {...lib.llama_model_default_params(), n_gpu_layers: 0, load_mode: LLAMA.loadModeNone});
        if (!model) throw new ResourceError("E_WORLD_LOAD", `llama.cpp could not load the initial world model ${initPath}`);
        // One sequence per window; F32 KV and no flash attention: the optimiser needs gradients through both.
        ctx = lib.llama_init_from_model(model, {...lib.llama_context_default_params(), n_ctx: cfg.context, n_batch: cfg.context, n_ubatch: cfg.context,
            n_seq_max: 1, n_threads: cfg.threads, n_threads_batch: cfg.threads, flash_attn_type: LLAMA.flashAttnDisabled, type_k: LLAMA.ggmlTypeF32, type_v: LLAMA.ggmlTypeF32});
        if (!ctx) throw new ResourceError("E_WORLD_CONTEXT", `llama.cpp could not make a ${cfg.context}-token training context`, {hint: "lower --context or free memory"});
        // llama.cpp hands the thread count to the CPU backend only when it decodes; the optimiser's graphs would
        // otherwise run on the backend's default thread count.
        if (lib.decodeOne(ctx, new Int32Array([pad])) !== 0) throw new ResourceError("E_WORLD_DECODE", "llama.cpp could not decode one token with the initial world model");

        const vocabPtr = lib.llama_model_get_vocab(model);
        const tokenize = (text: string): Int32Array => {
            const bytes = Buffer.byteLength(text);
            const buf = new Int32Array(bytes + 8);
            const n = lib.llama_tokenize(vocabPtr, text, bytes, buf, buf.length, false, true);
            if (n < 0) throw new ResourceError("E_WORLD_TOKENIZE", `llama_tokenize needed ${-n} tokens for one episode`);
            return buf.slice(0, n);
        };
        const rng = new Rng(cfg.seed).fork("world-build");
        const train = packEpisodes(texts.map(tokenize), cfg.context, pad, rng.fork("pack"));
        const evalSet = packEpisodes(heldOut.map(tokenize), cfg.context, pad, rng.fork("pack-eval"));
        const tokens = train.windows * cfg.context;
        const parameters = Number(lib.llama_model_n_params(model));
        onProgress?.({stage: "corpus", episodes: texts.length, windows: train.windows, tokens, dropped: train.dropped, fill: train.fill, parameters, vocab});

        const chunk = Math.min(cfg.chunkWindows, train.windows);
        // Whole chunks: one optimiser step per window.
        const steps = chunk * Math.max(1, Math.round(train.windows * cfg.epochs / chunk));
        let step = 0;
        const lrAt = (s: number) => {
            if (s < cfg.warmupSteps) return cfg.lr * (s + 1) / cfg.warmupSteps;
            const t = Math.min(1, (s - cfg.warmupSteps) / Math.max(1, steps - cfg.warmupSteps));
            return cfg.lr * (cfg.minLrRatio + (1 - cfg.minLrRatio) * 0.5 * (1 + Math.cos(Math.PI * t)));
        };
        // Asked before every optimiser step (one per window).
        lib.optInit(ctx, model, () => {
            const alpha = lrAt(step++);
            return {adamw: {alpha, beta1: 0.9, beta2: 0.999, eps: 1e-8, wd: cfg.weightDecay}, sgd: {alpha, wd: cfg.weightDecay}};
        });

        const dsTrain = makeDataset(lib, cfg.context, chunk);
        datasets.push(dsTrain);
        const nEval = Math.min(cfg.evalWindows, evalSet.windows);
        const dsEval = makeDataset(lib, cfg.context, nEval);
        datasets.push(dsEval);
        fillDataset(lib, dsEval, evalSet.data, evalSet.labels, [...Array(nEval).keys()], cfg.context);
        const resTrain = lib.ggml_opt_result_init(), resEval = lib.ggml_opt_result_init();

        let firstLoss = NaN, finalTrainLoss = NaN, done = 0;
        const evals: WorldBuildRecord["evals"] = [];
        const evaluate = (epoch: number) => {
            lib.ggml_opt_result_reset(resEval);
            lib.optEpoch(ctx!, dsEval, resTrain, resEval, 0);
            const {loss, accuracy} = lib.resultStats(resEval);
            evals.push({epoch, loss, accuracy});
            onProgress?.({stage: "eval", epoch, loss, accuracy});
        };
        evaluate(0);
        for (let epoch = 0; done < steps; epoch++) {
            const order = rng.fork(`order:${epoch}`).shuffle([...Array(train.windows).keys()]);
            for (let at = 0; at + chunk <= order.length && done < steps; at += chunk) {
                if (signal?.aborted) throw new InterruptedError("world build interrupted; nothing was written");
                fillDataset(lib, dsTrain, train.data, train.labels, order.slice(at, at + chunk), cfg.context);
                lib.ggml_opt_result_reset(resTrain);
                const t0 = performance.now();
                lib.optEpoch(ctx, dsTrain, resTrain, resEval, chunk);
                done += chunk;
                const {loss, accuracy} = lib.resultStats(resTrain);
                if (Number.isNaN(firstLoss)) firstLoss = loss;
                finalTrainLoss = loss;
                onProgress?.({stage: "train", step: done, steps, epoch: done / train.windows, loss, accuracy, lr: lrAt(step),
                    tokensPerSecond: chunk * cfg.context / ((performance.now() - t0) / 1000)});
            }
            evaluate(done / train.windows);
        }
        lib.ggml_opt_result_free(resTrain);
        lib.ggml_opt_result_free(resEval);

        lib.llama_model_save_to_file(model, trainedPath);
        lib.llama_free(ctx);
        ctx = null;
        lib.llama_model_free(model);
        model = null;
        // llama.cpp's saver leaves out the chat template and names, so the file is rewritten with the initial
        // model's metadata and the trained tensors, matrices stored in `dtype` (F32 until stage 2 has merged).
        let sft: WorldSftRecord | null = null;
        if (cfg.sftEpochs > 0) {
            await writeTrained(trainedPath, stage1Path, built.metadata, "f32");
            sft = await trainReplies(stage1Path, mergedPath, episodes, heldOutEpisodes, cfg, signal, onProgress);
        }
        const bytes = await writeTrained(sft ? mergedPath : trainedPath, out, built.metadata, cfg.dtype);
        const record: WorldBuildRecord = {
            format: "prism-world-model", version: 1, config: cfg, command, corpusSha256,
            corpus: {episodes: texts.length, windows: train.windows, tokens, dropped: train.dropped, fill: round(train.fill, 4)},
            model: {parameters, vocab, ff: (built.config as TinyModelConfig).ff, bytes},
            steps: done, firstLoss: round(firstLoss, 4), finalTrainLoss: round(finalTrainLoss, 4),
            evals: evals.map((e) => ({epoch: round(e.epoch, 3), loss: round(e.loss, 4), accuracy: round(e.accuracy, 4)})), sft,
            buildSeconds: round((performance.now() - started) / 1000, 1), cpuSeconds: round(cpuSecondsSince(cpuStarted), 1), threads: cfg.threads, node: process.version
        };
        await writeJsonAtomic(recordPathFor(out), record);
        return record;
    } finally {
        for (const d of datasets) lib.ggml_opt_dataset_free(d);
        if (ctx) lib.llama_free(ctx);
        if (model) lib.llama_model_free(model);
        fs.rmSync(dir, {recursive: true, force: true});
    }
}

/** The training corpus a build with these settings renders (through prism's prompts as they are now). */
export function renderBuildCorpus(cfg: Pick<WorldBuildConfig, "seed" | "perDomain">): WorldEpisode[] {
    return renderWorldCorpus(generateWorldTasks({seed: cfg.seed, perDomain: cfg.perDomain}), {seed: cfg.seed});
}

/** The corpus's identity in a build record (`corpusSha256`): a world model is stale when today's prompts render another. */
export function corpusDigest(chatmlTexts: readonly string[]): string {
    return createHash("sha256").update(chatmlTexts.join("")).digest("hex");
}

/** The JSON record beside a world model: `world.gguf` → `world.json`. */
export function recordPathFor(out: string): string {
    return out.replace(/\.gguf$/i, "") + ".json";
}

/**
 * Stage 2: reply-only LoRA SFT on the stage-1 model (every episode: its last assistant message is the answer, the
 * rest the prompt, tokenized as `prism train --data` does), then the adapter merged into the F32 weights at `out`.
 */
async function trainReplies(stage1Path: string, out: string, episodes: readonly WorldEpisode[], heldOutEpisodes: readonly WorldEpisode[],
    cfg: WorldBuildConfig, signal: AbortSignal | undefined, onProgress: BuildWorldModelOptions["onProgress"]): Promise<WorldSftRecord> {
    const started = performance.now();
    const tokenizer = await loadChatTokenizer(stage1Path);
    let train: TrainingExample[], heldOut: TrainingExample[], dropped: number;
    try {
        const examples = (list: readonly WorldEpisode[], source: string) => tokenizeExamples(list.map((e, i) => ({path: source, line: i + 1, record: {messages: e.messages}})),
            tokenizer, {maxLen: Number.MAX_SAFE_INTEGER, needTeacher: false}).examples;
        // Episodes that outgrow the context are left out whole, as stage 1's packing leaves them out.
        const fits = (e: TrainingExample) => e.prompt.length + e.response.length <= cfg.context;
        const all = examples(episodes, "world corpus");
        train = all.filter(fits);
        dropped = all.length - train.length;
        const pick = new Rng(cfg.seed).fork("sft-held-out").shuffle(examples(heldOutEpisodes, "world held-out").filter(fits));
        heldOut = pick.slice(0, cfg.sftEvalEpisodes);
    } finally {
        await tokenizer.dispose();
    }
    if (train.length === 0) throw new UsageError(`world build: no episode fits the ${cfg.context}-token context for stage 2`, {hint: "raise --context or --merges"});
    const common = {device: "cpu" as const, threads: cfg.threads, lr: cfg.sftLr, epochs: cfg.sftEpochs, batchSize: cfg.sftBatch, maxLen: cfg.context, seed: cfg.seed};
    const interrupted = () => new InterruptedError("world build interrupted; nothing was written");
    const report = (after: boolean, replyLoss: number) => {
        onProgress?.({stage: "sft-eval", after, replyLoss, episodes: heldOut.length});
        return replyLoss;
    };
    const onStart = (steps: number, trainableParameters: number) => onProgress?.({stage: "sft-start", episodes: train.length, dropped, steps, trainableParameters});
    const onStep = (p: {step: number, totalSteps: number, epoch: number, loss: number, lr: number, tokensPerSecond: number}) =>
        onProgress?.({stage: "sft", step: p.step, steps: p.totalSteps, epoch: p.epoch, loss: p.loss, lr: p.lr, tokensPerSecond: p.tokensPerSecond});
    let before: number, after: number, trainableParameters: number;
    let result: {completed: boolean, steps: number, losses: number[], tokensPerSecond: number};
    if (cfg.sftMode === "full") {
        using trainer = await FullTrainer.create({...common, modelPath: stage1Path, weightDecay: 0});
        trainableParameters = trainer.trainableParameters;
        before = report(false, (await trainer.evaluate(heldOut)).sftLoss);
        result = await trainer.train(train, {signal, onStart: (plan) => onStart(plan.totalSteps, trainableParameters), onProgress: onStep});
        if (!result.completed || signal?.aborted) throw interrupted();
        after = report(true, (await trainer.evaluate(heldOut)).sftLoss);
        await trainer.save(out);
    } else {
        using trainer = await LoraTrainer.create({...common, modelPath: stage1Path, objective: "sft", rank: cfg.sftRank, alpha: cfg.sftRank, layers: "all"});
        trainableParameters = trainer.trainableParameters;
        before = report(false, (await trainer.evaluate(heldOut, {signal})).sftLoss);
        result = await trainer.train(train, {signal, onStart: (plan) => onStart(plan.totalSteps, trainableParameters), onProgress: onStep});
        if (!result.completed || signal?.aborted) throw interrupted();
        after = report(true, (await trainer.evaluate(heldOut, {signal})).sftLoss);
        if (signal?.aborted) throw interrupted();
        await mergeLora(stage1Path, trainer.adapter(), out, {adapterPath: "world build stage 2"});
    }
    return {
        mode: cfg.sftMode, episodes: train.length, dropped, replyTokens: train.reduce((n, e) => n + e.response.length, 0),
        trainableParameters, steps: result.steps,
        firstLoss: round(result.losses[0] ?? NaN, 4), finalLoss: round(result.losses.at(-1) ?? NaN, 4),
        heldOut: {episodes: heldOut.length, before: round(before, 4), after: round(after, 4)},
        tokensPerSecond: round(result.tokensPerSecond, 1), seconds: round((performance.now() - started) / 1000, 1)
    };
}

function validate(cfg: WorldBuildConfig): void {
    const positiveInt = ["perDomain", "dim", "layers", "heads", "kvHeads", "context", "chunkWindows", "evalWindows", "threads", "sftRank", "sftBatch", "sftEvalEpisodes"] as const;
    for (const k of positiveInt)
        if (!Number.isInteger(cfg[k]) || cfg[k] < 1) throw new UsageError(`world build: ${k} must be a positive integer, got ${cfg[k]}`);
    if (!(cfg.epochs > 0)) throw new UsageError(`world build: epochs must be positive, got ${cfg.epochs}`);
    if (!(cfg.lr > 0)) throw new UsageError(`world build: lr must be positive, got ${cfg.lr}`);
    if (!Number.isInteger(cfg.sftEpochs) || cfg.sftEpochs < 0) throw new UsageError(`world build: sftEpochs must be a whole number of passes (0 skips stage 2), got ${cfg.sftEpochs}`);
    if (cfg.sftMode !== "full" && cfg.sftMode !== "lora") throw new UsageError(`world build: sftMode must be "full" or "lora", got ${JSON.stringify(cfg.sftMode)}`);
    if (!(cfg.sftLr > 0)) throw new UsageError(`world build: sftLr must be positive, got ${cfg.sftLr}`);
    if (cfg.dtype === "q8_0" && cfg.dim % 32 !== 0) throw new UsageError(`world build: dtype q8_0 needs dim to be a multiple of 32, got ${cfg.dim}`);
    // The narrowest adapted projection is k/v: dim × (dim / heads × kvHeads).
    const narrowest = Math.min(cfg.dim, cfg.dim / cfg.heads * cfg.kvHeads);
    if (cfg.sftEpochs > 0 && cfg.sftMode === "lora" && cfg.sftRank > narrowest)
        throw new UsageError(`world build: sftRank ${cfg.sftRank} is larger than the narrowest projection (${narrowest} wide at dim ${cfg.dim}, ${cfg.heads} heads, ${cfg.kvHeads} key/value heads)`, {hint: `use --sft-rank ${narrowest} or less`});
}

function makeDataset(lib: RawLibLlama, n: number, windows: number): OptDatasetPtr {
    return lib.ggml_opt_dataset_init(LLAMA.ggmlTypeI32, LLAMA.ggmlTypeI32, n, n, windows, 1);
}

/** Copies the windows `which` into the dataset's data and label tensors (in that order). */
function fillDataset(lib: RawLibLlama, ds: OptDatasetPtr, data: Int32Array, labels: Int32Array, which: readonly number[], n: number): void {
    const d = new Int32Array(which.length * n), l = new Int32Array(which.length * n);
    which.forEach((w, i) => {
        d.set(data.subarray(w * n, w * n + n), i * n);
        l.set(labels.subarray(w * n, w * n + n), i * n);
    });
    lib.ggml_backend_tensor_set(lib.ggml_opt_dataset_data(ds), d, 0, d.byteLength);
    lib.ggml_backend_tensor_set(lib.ggml_opt_dataset_labels(ds), l, 0, l.byteLength);
}

async function writeTrained(trainedPath: string, out: string, metadata: Parameters<typeof writeGguf>[1], dtype: WorldBuildConfig["dtype"]): Promise<number> {
    const trained = await GgufFile.open(trainedPath);
    const type = {f32: GgmlType.F32, f16: GgmlType.F16, q8_0: GgmlType.Q8_0}[dtype];
    const tensors: GgufTensorToWrite[] = trained.tensors.map((t) => {
        const count = t.shape.reduce((a, b) => a * b, 1);
        const values = decodeTensor(trained.readTensorBytes(t), t.type, count);
        const isMatrix = t.shape.length === 2;
        const to = isMatrix ? type : GgmlType.F32;
        return {name: t.name, type: to, shape: [...t.shape], data: encodeTensor(values, to)};
    });
    await writeGguf(out, {...metadata, "general.file_type": gguf.u32({f32: 0, f16: 1, q8_0: 7}[dtype])}, tensors);
    return fs.statSync(out).size;
}

function cpuSecondsSince(start: NodeJS.CpuUsage): number {
    const {user, system} = process.cpuUsage(start);
    return (user + system) / 1e6;
}

const round = (x: number, digits: number) => Number(x.toFixed(digits));
