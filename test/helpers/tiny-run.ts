import fs from "node:fs";
import path from "node:path";
import {saveGate} from "../../src/gate/gate-file.js";
import {RUN_MANIFEST_FORMAT, RUN_MANIFEST_VERSION, runFiles, writeRunManifest} from "../../src/run/run-manifest.js";
import {trainGate} from "../../src/gate/train-gate.js";
import {describeGguf} from "../../src/model/describe-gguf.js";
import {gaussianBlobs} from "./synthetic-gate-data.js";
import {tinyLora} from "./tiny-models.js";

/**
 * A finished bootstrap run built by hand in `dir`: the tiny model, a random adapter, and a gate on block 0's
 * partial-forward state (what bootstrap trains), fitted to synthetic features, so both routes occur.
 */
export async function makeTinyRun(dir: string): Promise<{dir: string, model: string, gate: string}> {
    const {model, adapter} = await tinyLora({}, {});
    const {fingerprint} = await describeGguf(model);
    fs.mkdirSync(dir, {recursive: true});
    fs.copyFileSync(adapter, path.join(dir, runFiles.adapter));
    const data = gaussianBlobs({rows: 40, width: 64, separation: 4});
    const {gate} = await trainGate({...data, definition: {layer: 1, position: "last-prompt-token", width: 64}, modelFingerprint: fingerprint, kind: "logreg", logreg: {maxEpochs: 3}});
    await saveGate(path.join(dir, runFiles.gate), gate);
    const now = new Date().toISOString();
    const done = {status: "done" as const, configHash: "h", config: {}, counts: {}, startedAt: now, finishedAt: now};
    await writeRunManifest(dir, {
        format: RUN_MANIFEST_FORMAT, version: RUN_MANIFEST_VERSION, prismVersion: "test", createdAt: now, updatedAt: now,
        model: {path: model, fingerprint}, seed: 0, config: {queriesPerDomain: 4}, stages: {distill: {...done}, gate: {...done}}
    });
    return {dir, model, gate: path.join(dir, runFiles.gate)};
}
