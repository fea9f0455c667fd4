import {describe, expect, it} from "vitest";
import {loraLayers} from "./lora-config.js";

describe("loraLayers", () => {
    it("all-but-first leaves block 0 alone, except in a one-block model, where it is the only block to adapt", () => {
        expect(loraLayers({layers: "all-but-first"}, 4)).toEqual([1, 2, 3]);
        expect(loraLayers({layers: "all-but-first"}, 1)).toEqual([0]);
        expect(loraLayers({layers: "all"}, 2)).toEqual([0, 1]);
        expect(() => loraLayers({layers: [2]}, 2)).toThrow(/layers 2 do not exist in a model of 2 blocks/);
    });
});
