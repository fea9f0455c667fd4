import {describe, expect, it} from "vitest";
import {gaussianBlobs, xorData} from "../../test/helpers/synthetic-gate-data.js";
import {PrismError} from "../util/prism-error.js";
import {trainGate, type TrainGateOptions} from "./train-gate.js";

const definition = (width: number) => ({layer: 1, position: "last-prompt-token" as const, width});
const options = (data: {features: Float32Array[], labels: number[], domains?: string[]}, extra: Partial<TrainGateOptions> = {}): TrainGateOptions => ({
    features: data.features, labels: data.labels, domains: data.domains, definition: definition(data.features[0]!.length), modelFingerprint: "sha256:test", ...extra
});

describe("trainGate", () => {
    it("learns XOR with the MLP where logistic regression cannot, and keeps the MLP", async () => {
        const data = xorData({rows: 600, width: 24, seed: 1});
        const r = await trainGate(options(data));
        expect(r.gate.kind).toBe("mlp");
        expect(r.candidates.mlp!.heldOut.auc).toBeGreaterThan(0.95);
        expect(r.candidates.logreg!.heldOut.auc).toBeLessThan(0.7);
        expect(r.heldOut.balancedAccuracy).toBeGreaterThan(0.85);
        expect(r.gate.net.hiddenWidths).toEqual([128, 64]);
    });

    it("ties on separable blobs and then keeps the MLP", async () => {
        const data = gaussianBlobs({rows: 300, width: 16, separation: 8, seed: 2});
        // Separable data keeps lowering the loss for many epochs; 30 are plenty to separate it.
        const r = await trainGate(options(data, {mlp: {maxEpochs: 30}, logreg: {maxEpochs: 30}}));
        expect(r.candidates.mlp!.heldOut.auc).toBe(1);
        expect(r.candidates.logreg!.heldOut.auc).toBe(1);
        expect(r.gate.kind).toBe("mlp");
    });

    it("keeps logistic regression when it has the better held-out AUC", async () => {
        const data = gaussianBlobs({rows: 300, width: 16, separation: 3, seed: 3});
        // An MLP that barely trains (one epoch at a tiny step) loses to the baseline.
        const r = await trainGate(options(data, {mlp: {learningRate: 1e-7, maxEpochs: 1}}));
        expect(r.candidates.logreg!.heldOut.auc!).toBeGreaterThan(r.candidates.mlp!.heldOut.auc!);
        expect(r.gate.kind).toBe("logreg");
        expect(r.gate.net.hiddenWidths).toEqual([]);
        expect(r.gate.training!.selection).toBe("auto");
        expect(r.candidates.mlp!.settings).toEqual({hiddenWidths: [128, 64], learningRate: 1e-7, weightDecay: 1e-2, batchSize: 32, maxEpochs: 1, patience: 10});
        expect(r.candidates.logreg!.settings).toMatchObject({hiddenWidths: [], learningRate: 1e-2});
    });

    it("balances an imbalanced set (10% positives) so both classes are recognised", async () => {
        const data = gaussianBlobs({rows: 800, width: 16, separation: 3, seed: 4, positiveShare: 0.1});
        const r = await trainGate(options(data, {kind: "mlp"}));
        expect(r.heldOut.positives).toBeGreaterThan(5);
        expect(r.heldOut.confusion.truePositives / r.heldOut.positives).toBeGreaterThan(0.75);
        expect(r.heldOut.balancedAccuracy).toBeGreaterThan(0.8);
        expect(r.candidates.logreg).toBeUndefined();
    });

    it("is deterministic for a seed, and its scores are the gate's", async () => {
        const data = gaussianBlobs({rows: 200, width: 8, separation: 2, seed: 5});
        const a = await trainGate(options(data, {seed: 9})), b = await trainGate(options(data, {seed: 9})), c = await trainGate(options(data, {seed: 10}));
        expect(Array.from(a.scores)).toEqual(Array.from(b.scores));
        expect(Array.from(a.scores)).not.toEqual(Array.from(c.scores));
        expect(Array.from(a.gate.scoreMany(data.features))).toEqual(Array.from(a.scores));
        expect(a.gate.score(data.features[17]!)).toBe(a.scores[17]);
    });

    it("calibrates the threshold on the held-out share when asked", async () => {
        const data = gaussianBlobs({rows: 400, width: 8, separation: 1.5, seed: 6});
        const fixed = await trainGate(options(data, {kind: "logreg"}));
        const calibrated = await trainGate(options(data, {kind: "logreg", threshold: "calibrate"}));
        expect(fixed.gate.threshold).toBe(0.5);
        expect(fixed.gate.training!.thresholdMethod).toBe("fixed");
        expect(calibrated.gate.training!.thresholdMethod).toBe("balanced-accuracy");
        expect(calibrated.heldOut.threshold).toBe(calibrated.gate.threshold);
        expect(calibrated.heldOut.balancedAccuracy).toBeGreaterThanOrEqual(fixed.heldOut.balancedAccuracy);
    });

    it("reports held-out metrics per domain", async () => {
        const data = gaussianBlobs({rows: 300, width: 8, separation: 4, seed: 7, domains: ["math", "safety"]});
        const r = await trainGate(options(data));
        expect(Object.keys(r.perDomain!)).toEqual(["math", "safety"]);
        expect(r.perDomain!.math!.count + r.perDomain!.safety!.count).toBe(r.heldOut.count);
        expect(r.gate.training!.perDomain).toEqual(r.perDomain);
    });

    it("uses an explicit held-out set", async () => {
        const data = gaussianBlobs({rows: 100, width: 4, separation: 4, seed: 8});
        const heldOutIndices = data.labels.flatMap((_, i) => (i % 5 === 0 ? [i] : []));
        const r = await trainGate(options(data, {heldOutIndices}));
        expect(r.split.heldOut).toEqual(heldOutIndices);
        expect(r.heldOut.count).toBe(20);
    });

    it("stops on an aborted signal with an interrupted error", async () => {
        const data = gaussianBlobs({rows: 100, width: 4, separation: 1, seed: 8});
        const controller = new AbortController();
        const run = trainGate(options(data, {signal: controller.signal, onProgress: () => controller.abort()}));
        await expect(run).rejects.toMatchObject({code: "E_INTERRUPTED"});
    });

    it("refuses data it cannot learn from, saying what is wrong", async () => {
        const data = gaussianBlobs({rows: 40, width: 4, separation: 2, seed: 9});
        const fail = async (o: TrainGateOptions) => {
            try {
                await trainGate(o);
            } catch (err) {
                expect(PrismError.isInstance(err)).toBe(true);
                return (err as PrismError).message;
            }
            throw new Error("expected trainGate to throw");
        };
        expect(await fail(options({features: data.features, labels: data.labels.map(() => 1)}))).toMatch(/at least 2 examples of each class \(persona won 40, base won 0\)/);
        expect(await fail(options(data, {labels: data.labels.map((y, i) => (i === 3 ? 2 : y))}))).toMatch(/label 3 is 2/);
        const nan = data.features.map((f) => f.slice());
        nan[5]![2] = NaN;
        expect(await fail(options({...data, features: nan}))).toMatch(/feature vector 5 has a non-finite value at 2/);
        expect(await fail(options(data, {definition: definition(5)}))).toMatch(/feature vector 0 has width 4, the definition says 5/);
        expect(await fail(options(data, {heldOutShare: 1}))).toMatch(/heldOutShare/);
        expect(await fail(options(data, {mlp: {batchSize: 0}}))).toMatch(/mlp\.batchSize: .* \(got 0\)/);
        expect(await fail(options(data, {logreg: {learningRate: -1}}))).toMatch(/logreg\.learningRate/);
        expect(await fail(options(data, {heldOutIndices: data.labels.flatMap((y, i) => (y === 1 ? [i] : []))}))).toMatch(/training share has no positive/);
        expect(await fail(options(data, {heldOutIndices: [0]}))).toMatch(/held-out share has no (positive|negative)/);
    });
});
