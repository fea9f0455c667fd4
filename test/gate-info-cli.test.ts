import fs from "node:fs";
import path from "node:path";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {saveGate} from "../src/gate/gate-file.js";
import {trainGate} from "../src/gate/train-gate.js";
import {runCli} from "./helpers/run-cli.js";
import {gaussianBlobs} from "./helpers/synthetic-gate-data.js";
import {tempDir} from "./helpers/tiny-models.js";

let dir: string, file: string;
beforeAll(async () => {
    dir = tempDir("gate-info");
    file = path.join(dir, "gate.json");
    const data = gaussianBlobs({rows: 120, width: 8, separation: 3, seed: 1, domains: ["math", "safety"]});
    const {gate} = await trainGate({features: data.features, labels: data.labels, domains: data.domains, definition: {layer: 1, position: "last-prompt-token", width: 8}, modelFingerprint: "sha256:abc", mlp: {maxEpochs: 3}, logreg: {maxEpochs: 3}});
    await saveGate(file, gate);
});
afterAll(() => fs.rmSync(dir, {recursive: true, force: true}));

describe("prism gate-info", () => {
    it("prints the classifier, features, model and held-out table", async () => {
        const r = await runCli(["gate-info", file]);
        expect(r.stderr).toBe("");
        expect(r.code).toBe(0);
        expect(r.stdout).toMatch(/classifier +(MLP 8 → 128 → 64 → 1|logistic regression 8 → 1)/);
        expect(r.stdout).toContain("last-prompt-token after block 0 (layer 1), width 8");
        expect(r.stdout).toContain("sha256:abc");
        expect(r.stdout).toMatch(/mlp @0\.5/);
        expect(r.stdout).toMatch(/logreg @0\.5/);
        expect(r.stdout).toMatch(/ {2}math +/);
    });

    it("prints JSON without the weights", async () => {
        const r = await runCli(["gate-info", file, "--json"]);
        expect(r.code).toBe(0);
        const d = JSON.parse(r.stdout) as {modelFingerprint: string, training: {perDomain: Record<string, unknown>}, layers?: unknown};
        expect(d.modelFingerprint).toBe("sha256:abc");
        expect(Object.keys(d.training.perDomain)).toEqual(["math", "safety"]);
        expect(d.layers).toBeUndefined();
    });

    it("exits 3 with the file named for a missing or damaged gate", async () => {
        const bad = path.join(dir, "bad.json");
        fs.writeFileSync(bad, JSON.stringify({format: "prism-gate", version: 1, kind: "mlp"}));
        for (const target of [bad, path.join(dir, "absent.json")]) {
            const r = await runCli(["gate-info", target]);
            expect(r.code).toBe(3);
            expect(r.stderr).toContain(target);
            expect(r.stderr).toMatch(/hint:/);
        }
    });
});
