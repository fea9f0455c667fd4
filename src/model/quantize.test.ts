import {describe, expect, it} from "vitest";
import {floatToHalf, halfToFloat} from "./float16.js";
import {GgmlType} from "./ggml-type.js";
import {decodeTensor, encodeTensor} from "./quantize.js";
import {Rng} from "../util/rng.js";

describe("float16", () => {
    it("encodes exactly representable values exactly and rounds to nearest even", () => {
        for (const x of [0, 1, -2, 0.5, 65504, 2 ** -14, 2 ** -24]) expect(halfToFloat(floatToHalf(x))).toBe(x);
        expect(floatToHalf(1 + 2 ** -11)).toBe(0x3c00); // halfway between 1 and the next half: ties to even (1)
        expect(floatToHalf(1 + 3 * 2 ** -11)).toBe(0x3c02);
        expect(floatToHalf(1e6)).toBe(0x7c00);
        expect(Number.isNaN(halfToFloat(floatToHalf(NaN)))).toBe(true);
    });
});

describe("Q8_0", () => {
    it("reconstructs each block within half a quantization step (plus the f16 rounding of the scale)", () => {
        const rng = new Rng(3);
        const x = Float32Array.from({length: 32 * 8}, () => rng.normal());
        const y = decodeTensor(encodeTensor(x, GgmlType.Q8_0), GgmlType.Q8_0, x.length);
        for (let b = 0; b < 8; b++) {
            const block = x.subarray(b * 32, b * 32 + 32);
            const step = Math.max(...Array.from(block, Math.abs)) / 127;
            for (let j = 0; j < 32; j++) expect(Math.abs(y[b * 32 + j]! - block[j]!)).toBeLessThanOrEqual(step * (0.5 + 127 * 2 ** -11) + 1e-7);
        }
    });
});
