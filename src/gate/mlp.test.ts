import {describe, expect, it} from "vitest";
import {expectClose} from "../../test/helpers/expect-close.js";
import {Rng} from "../util/rng.js";
import {gelu, geluDerivative, Mlp, sigmoid} from "./mlp.js";

/** Central finite differences of the loss with respect to every parameter, using the step float32 actually took. */
function numericGradients(net: Mlp, x: Float32Array, y: Float32Array, rows: number, eps: number): Float32Array[] {
    const scratch = net.zeroGradients();
    const loss = () => net.lossAndGradients(x, y, rows, scratch);
    return net.parameters().map((p) => {
        const g = new Float32Array(p.length);
        for (let i = 0; i < p.length; i++) {
            const original = p[i]!;
            p[i] = original + eps;
            const up = p[i]!, lossUp = loss();
            p[i] = original - eps;
            const down = p[i]!, lossDown = loss();
            p[i] = original;
            g[i] = (lossUp - lossDown) / (up - down);
        }
        return g;
    });
}

function randomBatch(rows: number, width: number, rng: Rng): {x: Float32Array, y: Float32Array} {
    return {x: Float32Array.from({length: rows * width}, () => rng.normal()), y: Float32Array.from({length: rows}, () => (rng.next() < 0.5 ? 1 : 0))};
}

describe("Mlp backward", () => {
    for (const hiddenWidths of [[5, 4], [3], []]) {
        it(`matches finite differences for 6 → ${[...hiddenWidths, 1].join(" → ")}`, () => {
            const rng = new Rng(7);
            const net = Mlp.create({inputWidth: 6, hiddenWidths, rng});
            // Larger weights than the default init, so GELU's curved region is exercised.
            for (const p of net.parameters()) for (let i = 0; i < p.length; i++) p[i] = p[i]! * 3;
            const {x, y} = randomBatch(7, 6, rng);
            const analytic = net.zeroGradients();
            net.lossAndGradients(x, y, 7, analytic);
            const numeric = numericGradients(net, x, y, 7, 3e-3);
            expectClose(analytic, numeric, {rtol: 3e-4, label: `${hiddenWidths.join("-") || "logreg"} backward vs finite differences`, report: true});
            expect(analytic.some((g) => g.some((v) => Math.abs(v) > 1e-3))).toBe(true);
        });
    }

    it("overwrites the gradients rather than accumulating them", () => {
        const rng = new Rng(3);
        const net = Mlp.create({inputWidth: 4, hiddenWidths: [3], rng});
        const {x, y} = randomBatch(5, 4, rng);
        const once = net.zeroGradients(), twice = net.zeroGradients();
        net.lossAndGradients(x, y, 5, once);
        net.lossAndGradients(x, y, 5, twice);
        net.lossAndGradients(x, y, 5, twice);
        once.forEach((g, j) => expect(Array.from(twice[j]!)).toEqual(Array.from(g)));
    });

    it("computes the binary cross-entropy of its logits", () => {
        const rng = new Rng(5);
        const net = Mlp.create({inputWidth: 3, hiddenWidths: [4], rng});
        const {x, y} = randomBatch(6, 3, rng);
        const logits = net.logits(x, 6);
        let expected = 0;
        for (let b = 0; b < 6; b++) {
            const p = sigmoid(logits[b]!);
            expected -= y[b] === 1 ? Math.log(p) : Math.log(1 - p);
        }
        expect(net.lossAndGradients(x, y, 6, net.zeroGradients())).toBeCloseTo(expected / 6, 6);
    });
});

describe("Mlp", () => {
    it("is created deterministically from the seed", () => {
        const a = Mlp.create({inputWidth: 8, hiddenWidths: [4], rng: new Rng(1)});
        const b = Mlp.create({inputWidth: 8, hiddenWidths: [4], rng: new Rng(1)});
        const c = Mlp.create({inputWidth: 8, hiddenWidths: [4], rng: new Rng(2)});
        expect(Array.from(a.layers[0]!.weight)).toEqual(Array.from(b.layers[0]!.weight));
        expect(Array.from(a.layers[0]!.weight)).not.toEqual(Array.from(c.layers[0]!.weight));
        expect(a.parameterCount).toBe(8 * 4 + 4 + 4 + 1);
        expect(a.hiddenWidths).toEqual([4]);
    });

    it("refuses layers that do not chain or do not end in one logit", () => {
        const layer = (I: number, O: number) => ({inputWidth: I, outputWidth: O, weight: new Float32Array(I * O), bias: new Float32Array(O)});
        expect(() => Mlp.fromLayers([layer(4, 3), layer(2, 1)])).toThrow(/takes 2 inputs but layer 0 gives 3/);
        expect(() => Mlp.fromLayers([layer(4, 2)])).toThrow(/1 logit/);
        expect(() => Mlp.fromLayers([{...layer(4, 1), weight: new Float32Array(3)}])).toThrow(/has 3 weights/);
        expect(Mlp.fromLayers([layer(4, 3), layer(3, 1)]).hiddenWidths).toEqual([3]);
    });
});

describe("gelu", () => {
    it("has the tanh-form values and a derivative that matches finite differences", () => {
        expect(gelu(0)).toBe(0);
        expect(gelu(1)).toBeCloseTo(0.841192, 6);
        expect(gelu(-1)).toBeCloseTo(-0.158808, 6);
        expect(gelu(10)).toBeCloseTo(10, 9);
        for (const x of [-4, -1.5, -0.3, 0, 0.2, 1, 2.5, 5]) {
            const h = 1e-5;
            expect(geluDerivative(x)).toBeCloseTo((gelu(x + h) - gelu(x - h)) / (2 * h), 8);
        }
    });

    it("sigmoid is stable at large |z|", () => {
        expect(sigmoid(-800)).toBe(0);
        expect(sigmoid(800)).toBe(1);
        expect(sigmoid(0)).toBe(0.5);
    });
});
