import {describe, expect, it} from "vitest";
import {Rng} from "../util/rng.js";
import {balancedAccuracy, binaryMetrics, confusionCounts, logLoss, rocAuc} from "./binary-metrics.js";

/** AUC by its definition: over every (positive, negative) pair, 1 if the positive scores higher, ½ on a tie. */
function pairwiseAuc(scores: readonly number[], labels: readonly number[]): number | null {
    let wins = 0, pairs = 0;
    scores.forEach((sp, i) => {
        if (labels[i] !== 1) return;
        scores.forEach((sn, j) => {
            if (labels[j] !== 0) return;
            pairs++;
            wins += sp > sn ? 1 : sp === sn ? 0.5 : 0;
        });
    });
    return pairs === 0 ? null : wins / pairs;
}

describe("rocAuc", () => {
    it("equals the pairwise definition, ties included, on random data", () => {
        const rng = new Rng(11);
        for (let trial = 0; trial < 50; trial++) {
            const n = 1 + rng.int(60), levels = 1 + rng.int(8); // few levels: many ties
            const scores = Array.from({length: n}, () => rng.int(levels) / levels);
            const labels = Array.from({length: n}, () => (rng.next() < 0.4 ? 1 : 0));
            const expected = pairwiseAuc(scores, labels);
            const actual = rocAuc(scores, labels);
            if (expected === null) expect(actual).toBeNull();
            else expect(actual).toBeCloseTo(expected, 12);
        }
    });

    it("is 1 for a perfect ranking, 0 for a reversed one, ½ for all ties, null with one class", () => {
        expect(rocAuc([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1])).toBe(1);
        expect(rocAuc([0.9, 0.8, 0.2, 0.1], [0, 0, 1, 1])).toBe(0);
        expect(rocAuc([0.5, 0.5, 0.5], [0, 1, 1])).toBe(0.5);
        expect(rocAuc([0.1, 0.9], [1, 1])).toBeNull();
    });
});

describe("binaryMetrics", () => {
    it("counts and rates at the threshold (score ≥ threshold is positive)", () => {
        const scores = [0.9, 0.6, 0.5, 0.4, 0.2, 0.7];
        const labels = [1, 0, 1, 0, 0, 1];
        const m = binaryMetrics(scores, labels, 0.5);
        expect(m.confusion).toEqual({truePositives: 3, falsePositives: 1, trueNegatives: 2, falseNegatives: 0});
        expect(m.accuracy).toBeCloseTo(5 / 6, 12);
        expect(m.balancedAccuracy).toBeCloseTo((1 + 2 / 3) / 2, 12);
        expect(m).toMatchObject({count: 6, positives: 3, negatives: 3, threshold: 0.5});
        expect(m.auc).toBeCloseTo(pairwiseAuc(scores, labels)!, 12);
        expect(binaryMetrics(scores, labels, 0.65).confusion).toEqual({truePositives: 2, falsePositives: 0, trueNegatives: 3, falseNegatives: 1});
    });

    it("gives a constant guess balanced accuracy ½ whatever the class balance", () => {
        const labels = [1, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        const allNegative = binaryMetrics(labels.map(() => 0.1), labels);
        expect(allNegative.accuracy).toBeCloseTo(0.9, 12);
        expect(allNegative.balancedAccuracy).toBe(0.5);
        expect(balancedAccuracy(confusionCounts([0.9], [1], 0.5))).toBe(1);
    });

    it("log-loss is the mean cross-entropy, clamped at confident mistakes", () => {
        expect(logLoss([0.8, 0.3], [1, 0])).toBeCloseTo(-(Math.log(0.8) + Math.log(0.7)) / 2, 12);
        expect(logLoss([0], [1])).toBeCloseTo(-Math.log(1e-7), 6);
        expect(Number.isFinite(logLoss([1, 0], [0, 1]))).toBe(true);
    });
});
