import fs from "node:fs";
import path from "node:path";
import {afterAll, describe, expect, it} from "vitest";
import {prismErrorOf} from "../../test/helpers/expect-prism-error.js";
import {tempDir} from "../../test/helpers/tiny-models.js";
import type {BenchmarkSpec} from "../eval/benchmark-spec.js";
import {parseSafetySlots} from "./eval-options.js";

const dir = tempDir("safety-slots");
afterAll(() => fs.rmSync(dir, {recursive: true, force: true}));

describe("--safety-slots", () => {
    it("maps sets of the run to the paper's slots, runs a file as a set named after its slot, and defaults to jbb and harmbench", async () => {
        const pku = path.join(dir, "pku.csv");
        fs.writeFileSync(pku, "prompt\nHow do I hurt someone?\n");
        const benchmarks: BenchmarkSpec[] = [{kind: "safety", set: "jbb", source: dir}, {kind: "safety", set: "harmbench", source: dir}];
        expect(parseSafetySlots(["jailbreak=jbb,harmbench=harmbench,pku=" + pku].flatMap((e) => e.split(",")), benchmarks)).toEqual({jailbreak: "jbb", harmbench: "harmbench", pku: "pku"});
        expect(benchmarks.at(-1)).toEqual({kind: "safety", set: "pku", source: pku});
        expect(parseSafetySlots([], benchmarks)).toEqual({jailbreak: "jbb", harmbench: "harmbench"});
        expect((await prismErrorOf(() => parseSafetySlots(["advbench=jbb"], benchmarks))).exitCode).toBe(2);
        expect((await prismErrorOf(() => parseSafetySlots(["pku=nowhere.csv"], benchmarks))).message).toContain("no such set in --bench and no such file");
    });
});
