import {describe, expect, it} from "vitest";
import {Rng} from "../util/rng.js";
import {heldOutSplit} from "./held-out-split.js";

describe("heldOutSplit", () => {
    const rng = new Rng(1);
    const labels = Array.from({length: 500}, () => (rng.next() < 0.2 ? 1 : 0));
    const domains = labels.map((_, i) => ["math", "safety", "coding", "writing"][i % 4]!);

    it("holds out the share of every (label, domain) group, and partitions the examples", () => {
        const {train, heldOut} = heldOutSplit({labels, domains, share: 0.2, rng: new Rng(3)});
        expect([...train, ...heldOut].sort((a, b) => a - b)).toEqual(labels.map((_, i) => i));
        expect(Math.abs(heldOut.length - 100)).toBeLessThanOrEqual(2);
        for (const d of new Set(domains)) {
            for (const y of [0, 1]) {
                const group = labels.flatMap((l, i) => (l === y && domains[i] === d ? [i] : []));
                const held = heldOut.filter((i) => labels[i] === y && domains[i] === d).length;
                expect(Math.abs(held - 0.2 * group.length), `${d}/${y}`).toBeLessThanOrEqual(1);
            }
        }
    });

    it("is deterministic for a seed and differs across seeds", () => {
        const a = heldOutSplit({labels, domains, share: 0.2, rng: new Rng(3)});
        const b = heldOutSplit({labels, domains, share: 0.2, rng: new Rng(3)});
        const c = heldOutSplit({labels, domains, share: 0.2, rng: new Rng(4)});
        expect(a).toEqual(b);
        expect(a.heldOut).not.toEqual(c.heldOut);
    });

    it("keeps each label on both sides even when the share rounds to nothing", () => {
        const few = [1, 1, 0, 0, 0, 0, 0, 0, 0, 0];
        for (const share of [0.01, 0.99]) {
            const {train, heldOut} = heldOutSplit({labels: few, share, rng: new Rng(0)});
            for (const y of [0, 1]) {
                expect(train.some((i) => few[i] === y)).toBe(true);
                expect(heldOut.some((i) => few[i] === y)).toBe(true);
            }
        }
    });
});
