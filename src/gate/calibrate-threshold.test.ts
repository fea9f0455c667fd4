import {describe, expect, it} from "vitest";
import {Rng} from "../util/rng.js";
import {binaryMetrics} from "./binary-metrics.js";
import {calibrateThreshold} from "./calibrate-threshold.js";

describe("calibrateThreshold", () => {
    it("finds the best balanced accuracy over every possible cut (brute force)", () => {
        const rng = new Rng(5);
        for (let trial = 0; trial < 40; trial++) {
            const n = 4 + rng.int(40);
            const labels = Array.from({length: n}, (_, i) => (i < 2 ? i : rng.next() < 0.3 ? 1 : 0));
            const scores = labels.map((y) => Math.min(1, Math.max(0, 0.3 + 0.25 * y + 0.3 * rng.normal())));
            const {threshold, balancedAccuracy} = calibrateThreshold(scores, labels);
            // Every distinct cut is "score ≥ one of the observed scores".
            const best = Math.max(...[0.5, ...scores].map((t) => binaryMetrics(scores, labels, t).balancedAccuracy));
            expect(balancedAccuracy).toBeCloseTo(best, 12);
            expect(binaryMetrics(scores, labels, threshold).balancedAccuracy).toBeCloseTo(best, 12);
        }
    });

    it("moves the threshold into the gap when the scores are shifted", () => {
        const scores = [0.6, 0.62, 0.65, 0.8, 0.85, 0.9];
        const labels = [0, 0, 0, 1, 1, 1];
        const c = calibrateThreshold(scores, labels);
        expect(c.threshold).toBeCloseTo(0.725, 12);
        expect(c.balancedAccuracy).toBe(1);
        expect(binaryMetrics(scores, labels, 0.5).balancedAccuracy).toBe(0.5);
    });

    it("keeps 0.5 when it is as good as any other cut, or when a class is missing", () => {
        expect(calibrateThreshold([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1])).toEqual({threshold: 0.5, balancedAccuracy: 1});
        expect(calibrateThreshold([0.1, 0.7], [1, 1]).threshold).toBe(0.5);
    });

    it("separates adjacent doubles exactly", () => {
        const hi = 0.7, lo = 0.7 - Number.EPSILON / 2;
        const c = calibrateThreshold([lo, hi, hi], [0, 1, 1]);
        expect(c.balancedAccuracy).toBe(1);
        expect(binaryMetrics([lo, hi, hi], [0, 1, 1], c.threshold).balancedAccuracy).toBe(1);
    });
});
