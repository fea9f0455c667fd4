import {describe, expect, it} from "vitest";
import {expectClose} from "../../test/helpers/expect-close.js";
import {Rng} from "../util/rng.js";
import {matmulABt, naiveMatmulABt, transpose} from "./matmul.js";

const random = (n: number, rng: Rng) => Float32Array.from({length: n}, () => rng.normal());

describe("matmulABt", () => {
    // Odd sizes exercise every remainder path of the 2×4 tiling.
    const shapes: [number, number, number][] = [[1, 1, 1], [2, 4, 3], [3, 5, 7], [5, 9, 1], [32, 128, 96], [7, 1, 33], [1, 13, 64]];
    for (const [M, N, K] of shapes) {
        for (const withBias of [false, true]) {
            it(`matches the naive product for ${M}×${K} · (${N}×${K})ᵀ${withBias ? " + bias" : ""}`, () => {
                const rng = new Rng(M * 1000 + N * 10 + K);
                const a = random(M * K, rng), b = random(N * K, rng), bias = withBias ? random(N, rng) : undefined;
                const fast = new Float32Array(M * N).fill(NaN), ref = new Float32Array(M * N);
                matmulABt(fast, a, b, M, N, K, bias);
                naiveMatmulABt(ref, a, b, M, N, K, bias);
                expectClose([fast], [ref], {rtol: 1e-6, label: `matmulABt ${M}×${N}×${K}`});
            });
        }
    }

    it("computes a product known by hand", () => {
        const out = new Float32Array(4);
        // a = [[1, 2], [3, 4]], b = [[5, 6], [7, 8]] → a·bᵀ = [[17, 23], [39, 53]]
        naiveMatmulABt(out, Float32Array.of(1, 2, 3, 4), Float32Array.of(5, 6, 7, 8), 2, 2, 2);
        expect(Array.from(out)).toEqual([17, 23, 39, 53]);
        matmulABt(out, Float32Array.of(1, 2, 3, 4), Float32Array.of(5, 6, 7, 8), 2, 2, 2, Float32Array.of(1, -1));
        expect(Array.from(out)).toEqual([18, 22, 40, 52]);
    });

    it("refuses arrays too short for the shape instead of reading NaN past their end", () => {
        expect(() => matmulABt(new Float32Array(4), new Float32Array(3), new Float32Array(4), 2, 2, 2)).toThrow(/shapes do not fit/);
    });
});

describe("transpose", () => {
    it("swaps rows and columns", () => {
        const out = new Float32Array(6);
        transpose(out, Float32Array.of(1, 2, 3, 4, 5, 6), 2, 3);
        expect(Array.from(out)).toEqual([1, 4, 2, 5, 3, 6]);
    });
});
