import fs from "node:fs";
import path from "node:path";
import type {ChatTokenizer} from "../model/chat-tokenizer.js";
import {writeGgufLora} from "../lora/gguf-lora.js";
import {writePeftAdapter} from "../lora/peft-adapter.js";
import {writeJsonAtomic} from "../util/atomic-write.js";
import {UsageError} from "../util/prism-error.js";
import {CHECKPOINT_FILE, checkRunFolder, checkTrainingSettings, LoraTrainer, type HeldOutCurve, type LoraTrainerOptions, type TrainOptions, type TrainPlan, type TrainProgress} from "./lora-trainer.js";
import {readChatRecords, tokenizeExamples} from "./training-example.js";

export type TrainLoraOptions = LoraTrainerOptions & {
    /** JSONL chat records ({"messages": [...], "teacher_system": "..."}). */
    dataPath: string,
    /** Held-out records in the same format, evaluated every `evalEvery` steps (which it needs, as evalEvery needs it). */
    evalDataPath?: string,
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
    onProgress?(p: TrainProgress): void,
    onEvaluate?: TrainOptions["onEvaluate"]
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
    baseModelFingerprint: string,
    /** With --eval-every: the held-out curve, and the step whose adapter was written (the lowest held-out loss). */
    heldOut: HeldOutCurve | null
};

export const ADAPTER_FILE = "adapter.gguf";
export const PEFT_DIR = "peft";
export const SUMMARY_FILE = "train-summary.json";

/**
 * `prism train` as a function: tokenizes a chat dataset with the model's own template, trains a LoRA adapter
 * (resumably, checkpointing into outDir), and writes the GGUF adapter and a summary. With evalEvery and a held-out
 * file, the written adapter is the one of the lowest held-out loss and the summary holds the held-out curve. Inputs
 * are checked before any training, and nothing in outDir is overwritten unless the run is resumed.
 */
export async function trainLora(options: TrainLoraOptions): Promise<TrainLoraResult> {
    const {dataPath, evalDataPath, outDir, tokenizer, adapterDtype = "f16", resume = false, signal, onStart, onProgress, onEvaluate, ...trainerOptions} = options;
    if ((trainerOptions.evalEvery ?? 0) > 0 && !evalDataPath) throw new UsageError("--eval-every needs a held-out set", {hint: "pass --eval-data FILE.jsonl (the --data format)"});
    if (evalDataPath && !((trainerOptions.evalEvery ?? 0) > 0)) throw new UsageError("--eval-data is evaluated every --eval-every steps", {hint: "pass --eval-every N as well"});
    // The run folder, the settings and the data are checked before the model is loaded.
    checkRunFolder(outDir, resume ? "required" : false);
    const {config} = await checkTrainingSettings(trainerOptions);
    const tokenize = async (file: string) => tokenizeExamples(await readChatRecords(file), tokenizer, {maxLen: config.maxLen, needTeacher: config.objective !== "sft"});
    const tokenized = await tokenize(dataPath);
    const heldOut = evalDataPath ? await tokenize(evalDataPath) : undefined;
    using trainer = await LoraTrainer.create(trainerOptions);
    fs.mkdirSync(outDir, {recursive: true});
    const result = await trainer.train(tokenized.examples, {
        checkpointDir: outDir, resume: resume ? "required" : false, heldOut: heldOut?.examples, signal, onProgress, onEvaluate,
        onStart: (plan) => onStart?.({...plan, truncatedAnswers: tokenized.truncated})
    });
    const checkpointPath = path.join(outDir, CHECKPOINT_FILE);
    const base = {
        completed: result.completed, steps: result.steps, totalSteps: result.totalSteps, finalLoss: result.losses.at(-1) ?? null,
        tokensPerSecond: result.tokensPerSecond, elapsedMs: result.elapsedMs, examples: tokenized.examples.length, truncatedAnswers: tokenized.truncated,
        checkpointPath, baseModelFingerprint: trainer.model.fingerprint, heldOut: result.heldOut
    };
    if (!result.completed) return {...base, adapterPath: null, peftPath: null, summaryPath: null};
    // The trainer now holds the run's result: the adapter of the lowest held-out loss, or the last one.
    const adapterPath = path.join(outDir, ADAPTER_FILE), peftPath = path.join(outDir, PEFT_DIR), summaryPath = path.join(outDir, SUMMARY_FILE);
    const adapter = trainer.adapter();
    await writeGgufLora(adapterPath, adapter, {name: `prism-${trainer.config.objective}-${path.basename(outDir)}`, type: adapterDtype});
    await writePeftAdapter(peftPath, adapter, {dtype: adapterDtype === "f32" ? "F32" : "F16",
        config: trainer.config, base: {path: options.modelPath, hparams: trainer.model.hparams, fingerprint: trainer.model.fingerprint}
    });
    await writeJsonAtomic(summaryPath, {
        model: path.resolve(options.modelPath), data: path.resolve(dataPath), baseModelFingerprint: trainer.model.fingerprint,
        config: trainer.config, steps: result.steps, losses: result.losses, tokensPerSecond: result.tokensPerSecond, elapsedMs: result.elapsedMs,
        examples: tokenized.examples.length, truncatedAnswers: tokenized.truncated, adapter: ADAPTER_FILE, peft: PEFT_DIR,
        ...(result.heldOut && heldOut && evalDataPath
            ? {heldOut: {data: path.resolve(evalDataPath), examples: heldOut.examples.length, bestStep: result.heldOut.best?.step ?? null, curve: result.heldOut.curve}}
            : {})
    });
    return {...base, adapterPath, peftPath, summaryPath};
}
