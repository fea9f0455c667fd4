import {expect} from "vitest";

export type Closeness = {maxAbsDiff: number, scale: number, relative: number, at: string};

/** The largest elementwise difference between two sets of rows, and its size relative to the largest |expected| value. */
export function compareRows(actual: readonly ArrayLike<number>[], expected: readonly ArrayLike<number>[]): Closeness {
    expect(actual.length).toBe(expected.length);
    let maxAbsDiff = 0, scale = 0, at = "";
    expected.forEach((row, t) => {
        const got = actual[t]!;
        expect(got.length).toBe(row.length);
        for (let i = 0; i < row.length; i++) {
            scale = Math.max(scale, Math.abs(row[i]!));
            const d = Math.abs(got[i]! - row[i]!);
            if (!(d <= maxAbsDiff)) {
                maxAbsDiff = d;
                at = `[${t}][${i}] ${got[i]} vs ${row[i]}`;
            }
        }
    });
    return {maxAbsDiff, scale, relative: maxAbsDiff / scale, at};
}

/**
 * Asserts max|actual − expected| ≤ rtol · max|expected|; the failure message prints how far off it is and where.
 * With `report`, the measured difference is printed on success too (to state tolerances from what was measured).
 */
export function expectClose(actual: readonly ArrayLike<number>[], expected: readonly ArrayLike<number>[], options: {rtol: number, label: string, report?: boolean}): Closeness {
    const c = compareRows(actual, expected);
    if (options.report) console.info(`${options.label}: max |Δ| ${c.maxAbsDiff.toExponential(2)} = ${c.relative.toExponential(2)} of max |x| ${c.scale.toFixed(3)}`);
    expect(c.relative, `${options.label}: max |Δ| ${c.maxAbsDiff.toExponential(2)} = ${c.relative.toExponential(2)} of max |x| ${c.scale.toFixed(3)}, at ${c.at}`)
        .toBeLessThanOrEqual(options.rtol);
    return c;
}
