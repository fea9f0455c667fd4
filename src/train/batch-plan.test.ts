import {describe, expect, it} from "vitest";
import {BatchPlan} from "./batch-plan.js";

describe("batch plan", () => {
    const lengths = Array.from({length: 23}, (_, i) => 10 + ((i * 37) % 50));
    const options = {lengths, batchSize: 4, gradAccum: 2, epochs: 3, maxSteps: 0, seed: 5};
    it("visits every example once per epoch, in micro-batches of similar lengths", () => {
        const plan = new BatchPlan(options);
        expect(plan.stepsPerEpoch).toBe(3);
        expect(plan.totalSteps).toBe(9);
        for (let e = 0; e < 3; e++) {
            const seen = Array.from({length: plan.stepsPerEpoch}, (_, s) => plan.microBatches(e * plan.stepsPerEpoch + s)).flat(2);
            expect([...seen].sort((a, b) => a - b)).toEqual(lengths.map((_, i) => i));
        }
        for (const mb of plan.microBatches(0)) {
            const ls = mb.map((i) => lengths[i]!);
            expect(ls).toEqual([...ls].sort((a, b) => b - a));
        }
        expect(plan.microBatches(0)).not.toEqual(plan.microBatches(3));
    });
    it("is a pure function of the seed, so a resumed run recomputes the same batches", () => {
        const a = new BatchPlan(options), b = new BatchPlan(options);
        expect(b.microBatches(7)).toEqual(a.microBatches(7));
        expect(new BatchPlan({...options, seed: 6}).microBatches(7)).not.toEqual(a.microBatches(7));
        expect(new BatchPlan({...options, maxSteps: 4}).totalSteps).toBe(4);
    });
});
