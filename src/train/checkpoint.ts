import fs from "node:fs";
import {z} from "zod";
import type {Ggml} from "../ggml/ggml.js";
import {GgmlType} from "../model/ggml-type.js";
import {GgufFile} from "../model/gguf-file.js";
import {gguf} from "../model/gguf-value.js";
import {writeGguf, type GgufTensorToWrite} from "../model/gguf-writer.js";
import {InvalidInputError, type PrismErrorOptions} from "../util/prism-error.js";
import type {LoraTensors} from "./lora-tensors.js";
import {TrainConfig} from "./train-config.js";

/** A GGUF file (magic "GGUF") with general.type = "prism-checkpoint" and this format version. */
export const CHECKPOINT_TYPE = "prism-checkpoint";
export const CHECKPOINT_VERSION = 1;

/** One point of the held-out curve: the objective on the held-out set after `step` optimiser steps (0: before training). */
export const HeldOutPoint = z.object({
    step: z.number().int().min(0),
    /** The training objective per answer token (SFT cross-entropy, T²·KL, or their mix). */
    loss: z.number(),
    /** Mean KL(teacher top-k ‖ student) per answer token at temperature T, without T²; null for SFT. */
    kl: z.number().nullable()
});
export type HeldOutPoint = z.infer<typeof HeldOutPoint>;

/** Everything besides the tensors that a resumed run needs to continue exactly where it stopped. */
export const CheckpointState = z.object({
    /** Optimiser steps finished; the run continues with this step. */
    step: z.number().int().min(0),
    totalSteps: z.number().int().min(1),
    /** AdamW's bias-correction step count. */
    optimizerStep: z.number().int().min(0),
    /** State of the random generator that picks dropout rows. */
    rng: z.array(z.number().int()),
    baseModelFingerprint: z.string(),
    /** Identity of the tokenized training data: a resumed run must see the same examples in the same order. */
    dataFingerprint: z.string(),
    /** Where the next step starts in the data (the batch plan recomputes its batches from the seed). */
    dataPosition: z.object({epoch: z.number().int().min(0), stepInEpoch: z.number().int().min(0)}),
    config: TrainConfig,
    /** Mean loss of the last step, for the record. */
    loss: z.number().nullable(),
    elapsedMs: z.number().min(0),
    /**
     * With evaluation during training: the held-out set's identity, its curve so far, and the step of the lowest
     * held-out loss (whose adapter is the run's result; its checkpoint is best-checkpoint.gguf).
     */
    heldOut: z.object({
        dataFingerprint: z.string(),
        curve: z.array(HeldOutPoint),
        best: z.object({step: z.number().int().min(1), loss: z.number()}).nullable()
    }).optional()
});
export type CheckpointState = z.infer<typeof CheckpointState>;

export class CheckpointFormatError extends InvalidInputError {
    constructor(path: string, reason: string, options: PrismErrorOptions = {}) {
        super("E_CHECKPOINT", `${path}: ${reason}`, {
            hint: "resume with the prism version that wrote it, or start a fresh run in a new --out folder",
            ...options,
            details: {path, reason, ...options.details}
        });
    }
}

const kinds = [["lora_a", "a"], ["lora_b", "b"], ["adam_m_a", "mA"], ["adam_m_b", "mB"], ["adam_v_a", "vA"], ["adam_v_b", "vB"]] as const;

/** Writes the adapter, its optimiser moments and the run state, atomically. */
export async function saveCheckpoint(filePath: string, ggml: Ggml, lora: LoraTensors, state: CheckpointState): Promise<void> {
    const tensors: GgufTensorToWrite[] = [];
    for (const m of lora.modules)
        for (const [suffix, field] of kinds) {
            const t = m[field];
            if (!t) throw new Error("internal: checkpointing LoRA tensors without optimiser state");
            const data = ggml.readFloat32(t);
            tensors.push({name: `blk.${m.layer}.${m.target}.${suffix}`, type: GgmlType.F32, shape: ggml.shape(t).slice(0, 2), data: new Uint8Array(data.buffer)});
        }
    await writeGguf(filePath, {
        "general.type": gguf.str(CHECKPOINT_TYPE),
        "prism.checkpoint.version": gguf.u32(CHECKPOINT_VERSION),
        "prism.checkpoint.state": gguf.str(JSON.stringify(state))
    }, tensors);
}

export type LoadedCheckpoint = {state: CheckpointState, file: GgufFile};

/** Reads and validates a checkpoint's state (its tensors are restored by restoreCheckpointTensors). */
export async function readCheckpoint(filePath: string): Promise<LoadedCheckpoint> {
    const file = await GgufFile.open(filePath);
    if (file.get("general.type") !== CHECKPOINT_TYPE) throw new CheckpointFormatError(filePath, "not a prism training checkpoint");
    const version = file.get<number>("prism.checkpoint.version");
    if (version !== CHECKPOINT_VERSION)
        throw new CheckpointFormatError(filePath, `checkpoint format version ${version} is not the one this prism reads (${CHECKPOINT_VERSION})`, {details: {found: version, expected: CHECKPOINT_VERSION}});
    let state: CheckpointState;
    try {
        state = CheckpointState.parse(JSON.parse(file.require<string>("prism.checkpoint.state")));
    } catch (err) {
        throw new CheckpointFormatError(filePath, `unreadable run state (${(err as Error).message.split("\n")[0]})`, {cause: err});
    }
    return {state, file};
}

/** Loads a checkpoint's A, B and moments into tensors of the same layout. */
export function restoreCheckpointTensors(checkpoint: LoadedCheckpoint, ggml: Ggml, lora: LoraTensors): void {
    for (const m of lora.modules)
        for (const [suffix, field] of kinds) {
            const name = `blk.${m.layer}.${m.target}.${suffix}`;
            const info = checkpoint.file.tensor(name);
            const t = m[field]!;
            if (!info || info.sizeBytes !== ggml.nbytes(t))
                throw new CheckpointFormatError(checkpoint.file.path, `tensor ${name} is ${info ? `${info.sizeBytes} bytes, expected ${ggml.nbytes(t)}` : "missing"}`);
            ggml.write(t, checkpoint.file.readTensorBytes(info));
        }
}

export function checkpointExists(filePath: string): boolean {
    return fs.existsSync(filePath);
}
