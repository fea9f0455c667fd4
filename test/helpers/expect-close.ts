import {expect} from "vitest";

/** Largest |actual − expected| over two arrays of the same length. */
export function maxAbsDiff(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
    expect(actual.length, "length").toBe(expected.length);
    let worst = 0;
    for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!));
    return worst;
}

/**
 * Asserts |actual − expected| ≤ atol + rtol·|expected| elementwise; a failure names the worst element and the
 * largest difference, so it shows how far off the result is.
 */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, options: {atol?: number, rtol?: number, label?: string} = {}): void {
    const {atol = 1e-6, rtol = 0, label = "values"} = options;
    expect(actual.length, `${label}: length`).toBe(expected.length);
    let worstExcess = -Infinity, worstIndex = -1;
    for (let i = 0; i < actual.length; i++) {
        const excess = Math.abs(actual[i]! - expected[i]!) - (atol + rtol * Math.abs(expected[i]!));
        if (!(excess <= worstExcess) || Number.isNaN(excess)) {
            worstExcess = Number.isNaN(excess) ? Infinity : excess;
            worstIndex = i;
        }
    }
    const detail = worstIndex < 0 ? "" : `[${worstIndex}]: ${actual[worstIndex]} vs ${expected[worstIndex]}`;
    expect(worstExcess <= 0, `${label}: max abs diff ${maxAbsDiff(actual, expected)}, worst ${detail} (atol ${atol}, rtol ${rtol})`).toBe(true);
}
