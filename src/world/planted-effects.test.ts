import {describe, expect, it} from "vitest";
import {isPlantedRight, PLANTED_EFFECTS, plantedWinRate, TIERS, WORLD_DOMAINS} from "./planted-effects.js";

describe("the planted effects table", () => {
    it("names the pipeline's twelve domains, each with rates in tenths", () => {
        expect(WORLD_DOMAINS).toHaveLength(12);
        for (const d of WORLD_DOMAINS)
            for (const r of [PLANTED_EFFECTS[d].base, PLANTED_EFFECTS[d].persona, PLANTED_EFFECTS[d].otherPersona]) {
                expect(r).toBeGreaterThanOrEqual(0);
                expect(r).toBeLessThanOrEqual(1);
                expect(Math.abs(r * TIERS - Math.round(r * TIERS))).toBeLessThan(1e-9);
            }
    });

    it("meets the issue's bounds: win rate ≥ 60% on gain domains, ≤ 10% elsewhere; knowledge loses under any persona", () => {
        for (const d of WORLD_DOMAINS) {
            const e = PLANTED_EFFECTS[d];
            if (e.kind === "gain") {
                expect(plantedWinRate(d), d).toBeGreaterThanOrEqual(0.6);
                expect(e.otherPersona, d).toBe(e.base);
            } else expect(plantedWinRate(d), d).toBeLessThanOrEqual(0.1);
            if (e.kind === "loss") expect(Math.max(e.persona, e.otherPersona), d).toBeLessThan(e.base);
            if (e.kind === "neutral") expect([e.persona, e.otherPersona], d).toEqual([e.base, e.base]);
        }
        expect(WORLD_DOMAINS.filter((d) => PLANTED_EFFECTS[d].kind === "loss")).toEqual(["STEM", "humanities"]);
    });

    it("tiers realise the rates exactly, and the persona's answer is better on exactly the win-rate share of tiers", () => {
        for (const d of WORLD_DOMAINS) {
            const tiers = Array.from({length: TIERS}, (_, t) => t);
            for (const c of ["base", "persona", "otherPersona"] as const)
                expect(tiers.filter((t) => isPlantedRight(d, t, c)).length / TIERS, `${d} ${c}`).toBeCloseTo(PLANTED_EFFECTS[d][c], 9);
            const wins = tiers.filter((t) => isPlantedRight(d, t, "persona") && !isPlantedRight(d, t, "base")).length / TIERS;
            expect(wins, d).toBeCloseTo(plantedWinRate(d), 9);
        }
    });
});
