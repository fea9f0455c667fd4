import fs from "node:fs";
import path from "node:path";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {saveGate} from "../src/gate/gate-file.js";
import {openRun} from "../src/run/open-run.js";
import {RUN_MANIFEST_FORMAT, RUN_MANIFEST_VERSION, runFiles, writeRunManifest, type RunManifest} from "../src/run/run-manifest.js";
import {trainGate} from "../src/gate/train-gate.js";
import {describeGguf} from "../src/model/describe-gguf.js";
import {PrismError} from "../src/util/prism-error.js";
import {gaussianBlobs} from "./helpers/synthetic-gate-data.js";
import {tempDir, tinyLora, tinyModel} from "./helpers/tiny-models.js";

// openRun is how generate/chat/serve open a finished bootstrap run; this builds a run directory by hand (a tiny
// model, a random adapter, a gate trained on synthetic features) and checks what it gives back and what it refuses.
let root: string;
let model: string;
let fingerprint: string;
const now = new Date().toISOString();
const done = {status: "done" as const, configHash: "h", config: {}, counts: {}, startedAt: now, finishedAt: now};

async function makeRun(name: string, edit: (m: RunManifest) => void = () => undefined): Promise<string> {
    const dir = path.join(root, name);
    const {adapter} = await tinyLora({}, {});
    fs.mkdirSync(dir, {recursive: true});
    fs.copyFileSync(adapter, path.join(dir, runFiles.adapter));
    const data = gaussianBlobs({rows: 40, width: 64, separation: 4});
    const {gate} = await trainGate({...data, definition: {layer: 1, position: "last-prompt-token", width: 64}, modelFingerprint: fingerprint, kind: "logreg", logreg: {maxEpochs: 3}});
    await saveGate(path.join(dir, runFiles.gate), gate);
    const manifest: RunManifest = {
        format: RUN_MANIFEST_FORMAT, version: RUN_MANIFEST_VERSION, prismVersion: "test", createdAt: now, updatedAt: now,
        model: {path: model, fingerprint}, seed: 0, config: {queriesPerDomain: 4}, stages: {distill: {...done}, gate: {...done}}
    };
    edit(manifest);
    await writeRunManifest(dir, manifest);
    return dir;
}

async function openError(dir: string, options = {}): Promise<PrismError> {
    const err = await openRun(dir, options).then(() => undefined, (e: unknown) => e);
    expect(PrismError.isInstance(err), `expected a PrismError, got ${String(err)}`).toBe(true);
    return err as PrismError;
}

beforeAll(async () => {
    root = tempDir("open-run");
    model = await tinyModel({});
    fingerprint = (await describeGguf(model)).fingerprint;
});
afterAll(() => fs.rmSync(root, {recursive: true, force: true}));

describe("openRun", () => {
    it("gives the model, adapter, PEFT folder and gate of a finished run", async () => {
        const dir = await makeRun("ok");
        const run = await openRun(dir);
        expect(run.modelPath).toBe(model);
        expect(run.modelFingerprint).toBe(fingerprint);
        expect(run.adapterPath).toBe(path.join(dir, "adapter.gguf"));
        expect(run.peftDir).toBe(path.join(dir, "peft"));
        expect(run.gate.modelFingerprint).toBe(fingerprint);
        expect(run.gate.features.width).toBe(64);
        expect(run.config).toEqual({queriesPerDomain: 4});
    });

    it("refuses a directory without a run, naming what is missing", async () => {
        expect((await openError(path.join(root, "nowhere"))).message).toMatch(/run directory not found/);
        fs.mkdirSync(path.join(root, "empty"));
        const err = await openError(path.join(root, "empty"));
        expect(err.message).toMatch(/run manifest not found: .*run\.json/);
        expect(err.hint).toMatch(/prism bootstrap --out/);
    });

    it("refuses an unfinished run and says how to resume it", async () => {
        const dir = await makeRun("unfinished", (m) => {
            m.stages.gate = {...done, status: "running"};
        });
        const err = await openError(dir);
        expect(err.code).toBe("E_RUN_INCOMPLETE");
        expect(err.message).toMatch(/not finished stage gate/);
        expect(err.hint).toMatch(new RegExp(`prism bootstrap --out ${dir}`));
    });

    it("refuses a damaged or foreign manifest", async () => {
        const dir = await makeRun("damaged");
        fs.writeFileSync(path.join(dir, "run.json"), "{not json");
        expect((await openError(dir)).message).toMatch(/run\.json: not valid JSON/);
        fs.writeFileSync(path.join(dir, "run.json"), JSON.stringify({format: RUN_MANIFEST_FORMAT, version: 99}));
        expect((await openError(dir)).hint).toMatch(/newer prism/);
    });

    it("refuses a missing adapter file and another model", async () => {
        const dir = await makeRun("no-adapter");
        fs.rmSync(path.join(dir, runFiles.adapter));
        expect((await openError(dir)).message).toMatch(/run adapter not found: .*adapter\.gguf/);

        const other = await tinyModel({seed: 2});
        const moved = await makeRun("other-model");
        const err = await openError(moved, {model: other});
        expect(err.code).toBe("E_RUN_MODEL_MISMATCH");
        expect(err.message).toContain(fingerprint);
        const gone = await makeRun("model-gone", (m) => {
            m.model.path = path.join(root, "moved.gguf");
        });
        expect((await openError(gone)).hint).toMatch(/pass its new path/);
    });
});
