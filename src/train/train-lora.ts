import fs from "node:fs";
import path from "node:path";
import type {ChatTokenizer} from "../model/chat-tokenizer.js";
import {GgufFile} from "../model/gguf-file.js";
import {InvalidModelFileError} from "../model/invalid-model-file-error.js";
import {assertTrainerSupports, readModelHparams} from "../model/model-hparams.js";
import {writeGgufLora} from "../lora/gguf-lora.js";
import {writePeftAdapter} from "../lora/peft-adapter.js";
import {writeJsonAtomic} from "../util/atomic-write.js";
import {UsageError} from "../util/prism-error.js";
import {CHECKPOINT_FILE, LoraTrainer, planLoraModules, type LoraTrainerOptions, type TrainPlan, type TrainProgress} from "./lora-trainer.js";
import {resolveTrainConfig} from "./train-config.js";
import {readChatRecords, tokenizeExamples} from "./training-example.js";

export type TrainLoraOptions = LoraTrainerOptions & {
    /** JSONL chat records ({"messages": [...], "teacher_system": "..."}). */
    dataPath: string,
    /** The model's chat tokenizer, as inference uses it (the llama engine's; see loadChatTokenizer in src/engine). */
    tokenizer: ChatTokenizer,
    /** Run folder: checkpoint.gguf, then adapter.gguf, peft/ and train-summary.json. */
    outDir: string,
    /** Storage type of the written adapters (GGUF and PEFT). Defaults to `"f16"`. */
    adapterDtype?: "f16" | "f32",
    /** Continue the run in outDir. Defaults to `false`. */
    resume?: boolean,
    /** Stops after the current step, with a checkpoint. */
    signal?: AbortSignal,
    onStart?(plan: TrainPlan & {truncatedAnswers: number}): void,
    onProgress?(p: TrainProgress): void
};

export type TrainLoraResult = {
    completed: boolean,
    steps: number, totalSteps: number,
    /** Loss of the last step, per answer token. */
    finalLoss: number | null,
    tokensPerSecond: number, elapsedMs: number,
    examples: number, truncatedAnswers: number,
    /** Written when the run completed: the GGUF adapter (llama.cpp, Ollama) and the PEFT directory (vLLM, Hugging Face). */
    adapterPath: string | null,
    peftPath: string | null,
    checkpointPath: string,
    summaryPath: string | null,
    baseModelFingerprint: string
};

export const ADAPTER_FILE = "adapter.gguf";
export const PEFT_DIR = "peft";
export const SUMMARY_FILE = "train-summary.json";

/**
 * `prism train` as a function: tokenizes a chat dataset with the model's own template, trains a LoRA adapter
 * (resumably, checkpointing into outDir), and writes the GGUF adapter and a summary. Inputs are checked before any
 * training, and nothing in outDir is overwritten unless the run is resumed.
 */
export async function trainLora(options: TrainLoraOptions): Promise<TrainLoraResult> {
    const {dataPath, outDir, tokenizer, adapterDtype = "f16", resume = false, signal, onStart, onProgress, ...trainerOptions} = options;
    const checkpointPath = path.join(outDir, CHECKPOINT_FILE);
    const hasRun = fs.existsSync(checkpointPath);
    if (hasRun && !resume) throw new UsageError(`${outDir} already holds a training run (${CHECKPOINT_FILE})`, {hint: "pass --resume to continue it, or choose another --out"});
    if (!hasRun && resume) throw new UsageError(`nothing to resume: ${checkpointPath} does not exist`, {hint: "drop --resume to start a new run"});
    const file = await GgufFile.open(options.modelPath);
    if (file.fileType === "adapter") throw new InvalidModelFileError(options.modelPath, "this is a LoRA adapter, not a model", {hint: "pass the base model with --model"});

    const {modelPath: _m, device: _d, threads: _t, checkpointActivations: _c, ...configInput} = trainerOptions;
    const config = resolveTrainConfig(configInput);
    const hparams = readModelHparams(file);
    assertTrainerSupports(file, hparams);
    planLoraModules(config, hparams);
    const records = await readChatRecords(dataPath);
    const tokenized = tokenizeExamples(records, tokenizer, {maxLen: config.maxLen, needTeacher: config.objective !== "sft"});
    using trainer = await LoraTrainer.create(trainerOptions);
    fs.mkdirSync(outDir, {recursive: true});
    const result = await trainer.train(tokenized.examples, {
        checkpointDir: outDir, resume, signal, onProgress,
        onStart: (plan) => onStart?.({...plan, truncatedAnswers: tokenized.truncated})
    });
    const base = {
        completed: result.completed, steps: result.steps, totalSteps: result.totalSteps, finalLoss: result.losses.at(-1) ?? null,
        tokensPerSecond: result.tokensPerSecond, elapsedMs: result.elapsedMs, examples: tokenized.examples.length, truncatedAnswers: tokenized.truncated,
        checkpointPath, baseModelFingerprint: trainer.model.fingerprint
    };
    if (!result.completed) return {...base, adapterPath: null, peftPath: null, summaryPath: null};
    const adapterPath = path.join(outDir, ADAPTER_FILE), peftPath = path.join(outDir, PEFT_DIR), summaryPath = path.join(outDir, SUMMARY_FILE);
    const adapter = trainer.adapter();
    await writeGgufLora(adapterPath, adapter, {name: `prism-${trainer.config.objective}-${path.basename(outDir)}`, type: adapterDtype});
    await writePeftAdapter(peftPath, adapter, {dtype: adapterDtype === "f32" ? "F32" : "F16",
        config: trainer.config, base: {path: options.modelPath, hparams: trainer.model.hparams, fingerprint: trainer.model.fingerprint}
    });
    await writeJsonAtomic(summaryPath, {
        model: path.resolve(options.modelPath), data: path.resolve(dataPath), baseModelFingerprint: trainer.model.fingerprint,
        config: trainer.config, steps: result.steps, losses: result.losses, tokensPerSecond: result.tokensPerSecond, elapsedMs: result.elapsedMs,
        examples: tokenized.examples.length, truncatedAnswers: tokenized.truncated, adapter: ADAPTER_FILE, peft: PEFT_DIR
    });
    return {...base, adapterPath, peftPath, summaryPath};
}
