import {GPU_AUTO_PARALLEL} from "../engine/llama-engine.js";
import type {GgmlDeviceChoice} from "../ggml/ggml-backend.js";
import {GgufFile} from "../model/gguf-file.js";
import {readModelHparams} from "../model/model-hparams.js";
import {checkMemory, type MemoryCheck} from "../train/memory-check.js";
import type {BootstrapConfig} from "./bootstrap-config.js";
import {distillTrainConfig} from "./distill-stage.js";

export type BootstrapMemoryOptions = {
    /** The llama engine's tokens per sequence. Defaults to `min(4096, the model's training context)`, as the engine's. */
    contextSize?: number,
    /** The llama engine's parallel sequences; `"auto"` (bootstrap's default) as the engine resolves it: several on a GPU, else 1. */
    parallel?: number | "auto",
    gpu?: "auto" | false,
    /** The trainer's and the gate's device. Defaults to `"auto"`. */
    device?: GgmlDeviceChoice,
    /** Whether the generating stages run on the embedded llama engine (not a server). Defaults to `true`. */
    localGeneration?: boolean,
    limitBytes?: number,
    checkpointActivations?: boolean
};

/**
 * Memory and disk of a bootstrap run's stages (generation on llama.cpp, the teacher pass, training, the gate)
 * against the machine: what `prism plan` prints and what bootstrap checks before its first stage.
 */
export async function checkBootstrapMemory(modelPath: string, config: BootstrapConfig, options: BootstrapMemoryOptions = {}): Promise<MemoryCheck> {
    const train = distillTrainConfig(config);
    const h = readModelHparams(await GgufFile.open(modelPath));
    const records = config.domains.length * config.queriesPerDomain;
    return checkMemory(modelPath, {
        train, examples: records, checkpointActivations: options.checkpointActivations, device: options.device, limitBytes: options.limitBytes, gate: true,
        ...(options.localGeneration === false ? {} : {
            generate: {contextSize: options.contextSize ?? Math.min(4096, h.nCtxTrain), parallel: options.parallel === undefined || options.parallel === "auto" ? {auto: GPU_AUTO_PARALLEL} : options.parallel, gpu: options.gpu ?? "auto", records, answerMaxTokens: config.answerMaxTokens}
        })
    });
}
