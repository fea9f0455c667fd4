import {GgufFile} from "../model/gguf-file.js";
import {InvalidModelFileError} from "../model/invalid-model-file-error.js";
import {readModelHparams, type ModelHparams} from "../model/model-hparams.js";

/**
 * What adapter code needs to know about a base model: its shape (to check an adapter's matrices, and to permute
 * llama's q/k rows between PEFT and GGUF) and its fingerprint (to recognise the model an adapter was made for).
 */
export type AdapterBase = {
    path: string,
    hparams: ModelHparams,
    fingerprint: string
};

/** Reads a base model's header (not its weights). */
export async function readAdapterBase(modelPath: string): Promise<AdapterBase> {
    const file = await GgufFile.open(modelPath);
    if (file.fileType === "adapter")
        throw new InvalidModelFileError(modelPath, "is a LoRA adapter, not a base model", {hint: "pass the model the adapter was made for"});
    return {path: modelPath, hparams: readModelHparams(file), fingerprint: file.fingerprint};
}
