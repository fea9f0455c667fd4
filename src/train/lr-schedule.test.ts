import {describe, expect, it} from "vitest";
import {lrAt, warmupSteps} from "./lr-schedule.js";

describe("learning-rate schedule", () => {
    const c = {lr: 1e-3, warmupRatio: 0.1, minLrRatio: 0.1};
    it("warms up linearly, peaks, then decays by cosine to the floor at the last step", () => {
        expect(warmupSteps(c, 100)).toBe(10);
        expect(lrAt(0, 100, c)).toBeCloseTo(1e-4, 12);
        expect(lrAt(9, 100, c)).toBeCloseTo(1e-3, 12);
        expect(lrAt(10, 100, c)).toBeCloseTo(1e-3, 12);
        const mid = 10 + (99 - 10) / 2;
        expect(lrAt(mid, 100, c)).toBeCloseTo(1e-4 + 0.9e-3 * 0.5, 12);
        expect(lrAt(99, 100, c)).toBeCloseTo(1e-4, 12);
        for (let s = 11; s < 100; s++) expect(lrAt(s, 100, c)).toBeLessThanOrEqual(lrAt(s - 1, 100, c));
    });
    it("handles one-step runs and no warm-up", () => {
        expect(lrAt(0, 1, {...c, warmupRatio: 0})).toBeCloseTo(1e-3, 12);
        expect(warmupSteps({warmupRatio: 0.01}, 5)).toBe(1);
    });
});
