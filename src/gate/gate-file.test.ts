import fs from "node:fs";
import path from "node:path";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {gaussianBlobs} from "../../test/helpers/synthetic-gate-data.js";
import {tempDir} from "../../test/helpers/tiny-models.js";
import {PrismError} from "../util/prism-error.js";
import type {Gate} from "./gate.js";
import {gateFromJson, gateToJson, loadGate, saveGate, type GateFile} from "./gate-file.js";
import {trainGate} from "./train-gate.js";

const definition = {layer: 1, position: "last-prompt-token" as const, width: 12};
const data = gaussianBlobs({rows: 120, width: 12, separation: 3, seed: 1});
let dir: string;
let gates: Record<"mlp" | "logreg", Gate>;

beforeAll(async () => {
    dir = tempDir("gate-file");
    const train = (kind: "mlp" | "logreg") => trainGate({features: data.features, labels: data.labels, domains: data.domains, definition, modelFingerprint: "sha256:model-a", kind, threshold: "calibrate", mlp: {maxEpochs: 5}, logreg: {maxEpochs: 5}});
    gates = {mlp: (await train("mlp")).gate, logreg: (await train("logreg")).gate};
});
afterAll(() => fs.rmSync(dir, {recursive: true, force: true}));

/** Writes a gate document edited by `edit` and returns the load error's message. */
async function loadError(edit: (doc: Record<string, unknown>) => unknown, name: string): Promise<PrismError> {
    const file = path.join(dir, name);
    const doc = structuredClone(gateToJson(gates.mlp)) as unknown as Record<string, unknown>;
    const replaced = edit(doc);
    fs.writeFileSync(file, typeof replaced === "string" ? replaced : JSON.stringify(doc));
    try {
        await loadGate(file);
    } catch (err) {
        expect(PrismError.isInstance(err), String(err)).toBe(true);
        return err as PrismError;
    }
    throw new Error("expected loadGate to fail");
}

describe("gate file", () => {
    for (const kind of ["mlp", "logreg"] as const) {
        it(`round-trips a ${kind} gate bit for bit`, async () => {
            const gate = gates[kind];
            const file = path.join(dir, `${kind}.json`);
            await saveGate(file, gate);
            const loaded = await loadGate(file, {modelFingerprint: "sha256:model-a"});
            expect(loaded.kind).toBe(kind);
            expect(loaded.threshold).toBe(gate.threshold);
            expect(loaded.features).toEqual(definition);
            expect(loaded.training).toEqual(gate.training);
            expect(loaded.createdAt).toBe(gate.createdAt);
            loaded.net.parameters().forEach((p, j) => expect(Array.from(p)).toEqual(Array.from(gate.net.parameters()[j]!)));
            expect(Array.from(loaded.standardizer.mean)).toEqual(Array.from(gate.standardizer.mean));
            expect(Array.from(loaded.standardizer.std)).toEqual(Array.from(gate.standardizer.std));
            expect(Array.from(loaded.scoreMany(data.features))).toEqual(Array.from(gate.scoreMany(data.features)));
            expect(fs.readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
        });
    }

    it("is small: base64 float32 weights", async () => {
        const file = path.join(dir, "size.json");
        await saveGate(file, gates.mlp);
        const params = gates.mlp.net.parameterCount + 2 * 12;
        expect(fs.statSync(file).size).toBeLessThan(params * 4 * 1.34 + 8000);
    });

    it("refuses a gate made for another model, with a hint", async () => {
        const file = path.join(dir, "other-model.json");
        await saveGate(file, gates.mlp);
        const err = await loadGate(file, {modelFingerprint: "sha256:model-b"}).then(() => null, (e: unknown) => e as PrismError);
        expect(err).toMatchObject({code: "E_GATE_MISMATCH", kind: "input"});
        expect(err!.message).toContain("made for model sha256:model-a, but is used with sha256:model-b");
        expect(err!.hint).toMatch(/re-run bootstrap/);
    });

    it("names what is wrong with a damaged or foreign file", async () => {
        const cases: [string, (doc: Record<string, unknown>) => unknown, RegExp][] = [
            ["not-json", () => "{\"format\": \"prism-gate\", ", /not valid JSON/],
            ["foreign", (d) => { d.format = "something-else"; }, /not a prism gate file/],
            ["newer", (d) => { d.version = 2; }, /format version 2; this prism reads version 1/],
            ["no-threshold", (d) => { delete d.threshold; }, /at "threshold"/],
            ["threshold-range", (d) => { d.threshold = 1.5; }, /at "threshold"/],
            ["short-weights", (d) => { (d.layers as GateFile["layers"])[1]!.weight = "AAAAAA=="; }, /layers\.1\.weight holds 1 float32 values, expected 8192/],
            ["bad-base64", (d) => { (d.layers as GateFile["layers"])[0]!.bias = "not base64!"; }, /at "layers.0.bias": not base64/],
            ["wrong-width", (d) => { (d.features as GateFile["features"]).width = 13; }, /first layer takes 12 inputs but the features are 13 wide/],
            ["kind-depth", (d) => { d.kind = "logreg"; }, /a logreg gate with 3 layer\(s\)/],
            ["nan-weight", (d) => { (d.layers as GateFile["layers"])[2]!.bias = Buffer.from(Float32Array.of(NaN).buffer).toString("base64"); }, /layers\.2\.bias\[0\] is NaN/]
        ];
        for (const [name, edit, pattern] of cases) {
            const err = await loadError(edit, `${name}.json`);
            expect(err.message, name).toMatch(pattern);
            expect(err.message, name).toContain(`${name}.json`);
            expect(err.kind, name).toBe("input");
            expect(err.hint, name).toBeTruthy();
        }
        const newer = await loadError((d) => { d.version = 2; }, "newer2.json");
        expect(newer.hint).toMatch(/upgrade prism/);
    });

    it("says a missing file is missing", async () => {
        await expect(loadGate(path.join(dir, "absent.json"))).rejects.toMatchObject({code: "E_MISSING_FILE"});
    });

    it("keeps forced thresholds in memory only", () => {
        expect(() => gateToJson(gates.mlp.withThreshold(Infinity))).toThrow(/cannot be saved/);
        expect(gateFromJson(gateToJson(gates.mlp)).threshold).toBe(gates.mlp.threshold);
    });
});
