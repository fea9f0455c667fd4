import {describe, expect, it} from "vitest";
import {permuteQkRows} from "./qk-permutation.js";

describe("q/k row permutation", () => {
    it("interleaves each head's halves as convert_hf_to_gguf.py's LlamaModel.permute does", () => {
        // 2 heads of size 4, one value per row: HF rows [h0: 0 1 | 2 3] [h1: 4 5 | 6 7] → GGUF pairs (0,2) (1,3) (4,6) (5,7).
        const hf = Float32Array.from([0, 1, 2, 3, 4, 5, 6, 7]);
        expect(Array.from(permuteQkRows(hf, 2, 1, "gguf"))).toEqual([0, 2, 1, 3, 4, 6, 5, 7]);
        // Rows move whole: a (4 rows × 2) matrix keeps each row's values together.
        const m = Float32Array.from([10, 11, 20, 21, 30, 31, 40, 41]);
        expect(Array.from(permuteQkRows(m, 1, 2, "gguf"))).toEqual([10, 11, 30, 31, 20, 21, 40, 41]);
    });

    it("is undone by the inverse for any head count", () => {
        const data = Float32Array.from({length: 8 * 16 * 3}, (_, i) => i * 0.5 - 7);
        for (const heads of [1, 2, 4, 8]) {
            const there = permuteQkRows(data, heads, 3, "gguf");
            expect(there).not.toEqual(data);
            expect(permuteQkRows(there, heads, 3, "hf")).toEqual(data);
        }
    });

    it("refuses a shape that is not whole heads of an even size", () => {
        expect(() => permuteQkRows(new Float32Array(10), 2, 1, "gguf")).toThrow(/even head size/);
        expect(() => permuteQkRows(new Float32Array(10), 1, 4, "hf")).toThrow(/cannot permute/);
    });
});
