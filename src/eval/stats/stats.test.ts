import {describe, expect, it} from "vitest";
import {benjaminiHochberg, holm} from "./multiple-comparisons.js";
import {Rng} from "../../util/rng.js";
import {bootstrapMeanCi, mean, pairedDelta, quantileSorted} from "./bootstrap.js";
import {linearFit, pearson, spearman} from "./correlation.js";
import {signTest} from "./sign-test.js";

describe("bootstrap", () => {
    it("quantiles interpolate like numpy's default", () => {
        expect(quantileSorted([1, 2, 3, 4], 0.5)).toBe(2.5);
        expect(quantileSorted([1, 2, 3, 4], 0.25)).toBeCloseTo(1.75);
        expect(quantileSorted([5], 0.9)).toBe(5);
    });

    it("the 95% interval of a 0/1 sample matches the normal approximation and is reproducible", () => {
        const values = Array.from({length: 400}, (_, i) => (i % 10 < 3 ? 1 : 0)); // p = 0.3
        const ci = bootstrapMeanCi(values, {seed: 7});
        const se = Math.sqrt(0.3 * 0.7 / 400);
        expect(ci.low).toBeCloseTo(0.3 - 1.96 * se, 1.5);
        expect(ci.high).toBeCloseTo(0.3 + 1.96 * se, 1.5);
        expect(Math.abs(ci.high - ci.low - 2 * 1.96 * se)).toBeLessThan(0.01);
        expect(bootstrapMeanCi(values, {seed: 7})).toEqual(ci);
        expect(bootstrapMeanCi([4, 4, 4])).toEqual({low: 4, high: 4});
        expect(Number.isNaN(bootstrapMeanCi([]).low)).toBe(true);
    });

    it("covers the true mean about 95% of the time", () => {
        const rng = new Rng(3);
        let covered = 0;
        const trials = 200;
        for (let t = 0; t < trials; t++) {
            const sample = Array.from({length: 50}, () => rng.normal());
            const ci = bootstrapMeanCi(sample, {iterations: 500, seed: t});
            if (ci.low <= 0 && 0 <= ci.high) covered++;
        }
        expect(covered / trials).toBeGreaterThan(0.88);
        expect(covered / trials).toBeLessThan(0.99);
    });

    it("paired deltas are the mean difference, and cancel per-item difficulty", () => {
        const control = [10, 50, 90, 20, 70];
        const treatment = control.map((c) => c + 5);
        const d = pairedDelta(control, treatment);
        expect(d.delta).toBe(5);
        expect(d.ci).toEqual({low: 5, high: 5});
        expect(mean([1, 2, 3])).toBe(2);
        expect(() => pairedDelta([1], [1, 2])).toThrow(/differ in length/);
    });
});

describe("sign test", () => {
    it("matches exact binomial tail probabilities", () => {
        expect(signTest([1, 1, 1, 1, 1, 1, 1, 1, 1, 1]).p).toBeCloseTo(2 / 1024, 12);
        // 8 wins, 2 losses: 2·P(X ≤ 2 | n=10) = 2·(1+10+45)/1024
        expect(signTest([...Array(8).fill(1), -1, -2]).p).toBeCloseTo(2 * 56 / 1024, 12);
        expect(signTest([3, -3, 0, 0])).toEqual({wins: 1, losses: 1, ties: 2, p: 1});
        expect(signTest([0, 0]).p).toBe(1);
        const big = signTest([...Array(600).fill(1), ...Array(400).fill(-1)]);
        expect(big.p).toBeGreaterThan(0);
        expect(big.p).toBeLessThan(1e-9);
    });
});

describe("correlation", () => {
    it("Pearson, Spearman and the least-squares line", () => {
        expect(pearson([1, 2, 3], [2, 4, 6])).toBeCloseTo(1);
        expect(pearson([1, 2, 3], [3, 2, 1])).toBeCloseTo(-1);
        expect(pearson([1, 2, 3], [5, 5, 5])).toBeNaN();
        expect(pearson([1, 2, 3, 4], [1, 3, 2, 4])).toBeCloseTo(0.8);
        expect(spearman([1, 2, 3, 4], [1, 8, 27, 64])).toBeCloseTo(1);
        expect(spearman([1, 2, 2, 3], [1, 2, 2, 3])).toBeCloseTo(1);
        expect(linearFit([0, 1, 2], [1, 3, 5])).toEqual({slope: 2, intercept: 1});
        expect(linearFit([1, 1], [0, 1])).toBeNull();
    });
});

describe("multiple-comparison corrections", () => {
    it("Holm and Benjamini-Hochberg match R's p.adjust on a worked example", () => {
        // p.adjust(c(0.01, 0.04, 0.03, 0.005), "holm") = 0.03 0.06 0.06 0.02; "BH" = 0.02 0.04 0.04 0.02
        const p = [0.01, 0.04, 0.03, 0.005];
        holm(p).forEach((x, i) => expect(x).toBeCloseTo([0.03, 0.06, 0.06, 0.02][i]!, 12));
        benjaminiHochberg(p).forEach((x, i) => expect(x).toBeCloseTo([0.02, 0.04, 0.04, 0.02][i]!, 12));
        expect(holm([0.6, 0.9])).toEqual([1, 1]);
    });
});
