import {spawnSync} from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import {describe, expect, it} from "vitest";
import type {WorldCriterion} from "../src/eval/world-criteria.js";
import {corpusDigest, defaultWorldBuildConfig, recordPathFor, renderBuildCorpus, type WorldBuildRecord} from "../src/world/build-world-model.js";
import {renderChatml} from "../src/world/render-corpus.js";
import {tempDir} from "./helpers/tiny-models.js";

// The committed world model (models/world.gguf): what it was built from, and issue 14's protocol on it, through the
// CLI (bench/world-effect.ts: bootstrap with the demo's settings at 50 queries a domain, eval --bench world on every held-out
// task, the blanked-persona control).
const root = path.resolve(import.meta.dirname, "..");
const MODEL = path.join(root, "models", "world.gguf");
const record = JSON.parse(fs.readFileSync(recordPathFor(MODEL), "utf8")) as WorldBuildRecord;

describe("the committed world model", () => {
    it("is the default build (every setting but the thread count) of the corpus prism's prompts render today, under 10 MB", () => {
        expect(fs.statSync(MODEL).size).toBe(record.model.bytes);
        expect(record.model.bytes).toBeLessThan(10 * 1024 * 1024);
        expect({...record.config, threads: defaultWorldBuildConfig.threads}).toEqual(defaultWorldBuildConfig);
        const digest = corpusDigest(renderBuildCorpus(record.config).map((e) => renderChatml(e.messages)));
        expect(digest, "the world's corpus changed (a prompt, a task family or the planted table): rebuild with `prism world build --out models/world.gguf --threads 2`").toBe(record.corpusSha256);
    });

    it("meets every criterion of issue 14 under the protocol's bootstrap, evaluation and blanked control", () => {
        const keep = tempDir("world-effect");
        const r = spawnSync(process.execPath, ["--import", "tsx", path.join(root, "bench", "world-effect.ts"), "--model", MODEL, "--keep", keep, "--json"],
            {encoding: "utf8", cwd: root, maxBuffer: 64 * 1024 ** 2});
        fs.rmSync(keep, {recursive: true, force: true});
        expect(r.status, r.stderr.slice(-4000)).toBe(0);
        const result = JSON.parse(r.stdout.trim().split("\n").at(-1)!) as {checks: WorldCriterion[], met: number, total: number, seconds: number};
        console.log(`world protocol: ${result.met} of ${result.total} criteria met in ${result.seconds} s\n` +
            result.checks.map((c) => `  ${c.met ? "met    " : "NOT MET"} ${c.name}: ${c.value}`).join("\n"));
        expect(result.total).toBe(23);
        // prism within 2 points of the persona on the gain domains is met at its bound (87.6 vs 89.6 on 2026-12-05): the
        // protocol is deterministic on one machine, and a change that costs prism one held-out task fails here.
        expect(result.checks.filter((c) => !c.met).map((c) => `${c.id}: ${c.value}`)).toEqual([]);
    }, 600_000);
});
