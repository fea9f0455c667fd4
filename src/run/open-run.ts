import fs from "node:fs";
import path from "node:path";
import {GgufFile} from "../model/gguf-file.js";
import {InvalidInputError, MissingFileError} from "../util/prism-error.js";
import type {Gate} from "../gate/gate.js";
import {loadGate} from "../gate/gate-file.js";
import {requireRunManifest, runFiles, type RunManifest, type StageName} from "./run-manifest.js";

export type OpenRunOptions = {
    /** A model path to use instead of the one recorded (the run moved to another machine); its fingerprint must match. */
    model?: string,
    /** Check that the model file's fingerprint is the one the run was made with. Defaults to `true`. */
    verifyModel?: boolean
};

/** What a finished run gives to routed inference: the model, the adapter, the gate. */
export type OpenedRun = {
    dir: string,
    manifest: RunManifest,
    modelPath: string,
    modelFingerprint: string,
    /** The adapter in llama.cpp's GGUF LoRA format. */
    adapterPath: string,
    /** The same adapter as a PEFT directory. */
    peftDir: string,
    gatePath: string,
    gate: Gate,
    /** The resolved bootstrap config the run was made with. */
    config: Record<string, unknown>
};

/** A run directory that has not finished the stages routed inference needs. */
export class IncompleteRunError extends InvalidInputError {
    constructor(dir: string, readonly missing: StageName[]) {
        super("E_RUN_INCOMPLETE", `${dir}: the bootstrap run has not finished stage${missing.length > 1 ? "s" : ""} ${missing.join(", ")}`, {
            hint: `resume it: prism bootstrap --out ${dir} (with the same --model and settings)`, details: {dir, missing}
        });
    }
}

/**
 * Opens a finished bootstrap run for routed inference (`prism generate --run`, `prism serve --run`): reads the
 * manifest, checks that the adapter and gate stages finished and their files exist, that the model is there and is
 * the one the run was made with, and loads the gate (which refuses another model).
 */
export async function openRun(dir: string, options: OpenRunOptions = {}): Promise<OpenedRun> {
    const manifest = await requireRunManifest(dir);
    const missing = (["distill", "gate"] as const).filter((s) => manifest.stages[s]?.status !== "done");
    if (missing.length > 0) throw new IncompleteRunError(dir, missing);
    const adapterPath = path.join(dir, runFiles.adapter), peftDir = path.join(dir, runFiles.peftDir), gatePath = path.join(dir, runFiles.gate);
    for (const [file, what] of [[adapterPath, "run adapter"], [gatePath, "run gate"]] as const)
        if (!fs.existsSync(file)) throw new MissingFileError(file, what, {hint: `the run's files are incomplete: re-run prism bootstrap --out ${dir}`});

    const modelPath = options.model ?? manifest.model.path;
    if (!fs.existsSync(modelPath)) {
        throw new MissingFileError(modelPath, "the run's model", {
            hint: options.model ? "check the path" : "the model moved since the run was made: pass its new path (--model)"
        });
    }
    if (options.verifyModel ?? true) {
        const fingerprint = (await GgufFile.open(modelPath)).fingerprint;
        if (fingerprint !== manifest.model.fingerprint) {
            throw new InvalidInputError("E_RUN_MODEL_MISMATCH", `${modelPath} is not the model the run ${dir} was made with (fingerprint ${fingerprint}, the run's is ${manifest.model.fingerprint})`, {
                hint: "pass the model the run was bootstrapped on; an adapter and gate only fit that exact model",
                details: {modelPath, expected: manifest.model.fingerprint, found: fingerprint}
            });
        }
    }
    const gate = await loadGate(gatePath, {modelFingerprint: manifest.model.fingerprint});
    return {dir, manifest, modelPath, modelFingerprint: manifest.model.fingerprint, adapterPath, peftDir, gatePath, gate, config: manifest.config};
}
