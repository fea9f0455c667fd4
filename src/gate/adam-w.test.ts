import {describe, expect, it} from "vitest";
import {AdamW} from "./adam-w.js";

describe("AdamW", () => {
    it("moves each parameter by the learning rate against its gradient's sign on the first step", () => {
        const p = Float32Array.of(1, -2, 0.5);
        new AdamW([p], {lr: 0.1}).step([Float32Array.of(3, -0.001, 0)]);
        expect(p[0]).toBeCloseTo(0.9, 6);
        expect(p[1]).toBeCloseTo(-1.9, 4);
        expect(p[2]).toBe(0.5);
    });

    it("decays only the arrays marked to decay, by lr·wd·p", () => {
        const w = Float32Array.of(2), b = Float32Array.of(2);
        new AdamW([w, b], {lr: 0.1, weightDecay: 0.5, decays: [true, false]}).step([Float32Array.of(0), Float32Array.of(0)]);
        expect(w[0]).toBeCloseTo(2 - 0.1 * 0.5 * 2, 6);
        expect(b[0]).toBe(2);
    });

    it("minimises a quadratic", () => {
        const p = Float32Array.of(5, -3);
        const opt = new AdamW([p], {lr: 0.05});
        for (let i = 0; i < 2000; i++) opt.step([Float32Array.of(2 * (p[0]! - 1), 2 * (p[1]! + 2))]);
        expect(p[0]).toBeCloseTo(1, 2);
        expect(p[1]).toBeCloseTo(-2, 2);
    });
});
