import {describe, expect, it} from "vitest";
import {Standardizer} from "./standardizer.js";

describe("Standardizer", () => {
    // rows: [1, 100, 5], [3, 300, 5], [5, 500, 5], [1000, 0, 0] (the last row is not in the fit)
    const x = Float32Array.of(1, 100, 5, 3, 300, 5, 5, 500, 5, 1000, 0, 0);

    it("fits mean and population std on the listed rows only", () => {
        const s = Standardizer.fit(x, 3, [0, 1, 2]);
        expect(Array.from(s.mean)).toEqual([3, 300, 5]);
        expect(s.std[0]).toBeCloseTo(Math.sqrt(8 / 3), 6);
        expect(s.std[1]).toBeCloseTo(100 * Math.sqrt(8 / 3), 3);
        expect(s.std[2]).toBe(1); // constant: kept finite
        const z = s.apply(x, 4);
        expect(Array.from(z.subarray(0, 3)).map((v) => +v.toFixed(5))).toEqual([-1.22474, -1.22474, 0]);
        expect(z[9]).toBeCloseTo((1000 - 3) / Math.sqrt(8 / 3), 3);
    });

    it("is exact for large offsets (two-pass variance)", () => {
        const big = Float32Array.of(1e6 + 1, 1e6 - 1, 1e6 + 1, 1e6 - 1);
        expect(Standardizer.fit(big, 1, [0, 1, 2, 3]).std[0]).toBe(1);
    });
});
