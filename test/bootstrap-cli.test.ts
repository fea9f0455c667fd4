import fs from "node:fs";
import path from "node:path";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {runCli} from "./helpers/run-cli.js";
import {tempDir, tinyModel} from "./helpers/tiny-models.js";

// Bad input to `prism bootstrap` is refused before any generation, with what was wrong and the usage (2) or
// bad-input (3) exit code.
let dir: string;
let model: string;
beforeAll(async () => {
    dir = tempDir("bootstrap-cli");
    model = await tinyModel({seed: 11});
});
afterAll(() => fs.rmSync(dir, {recursive: true, force: true}));

const bootstrap = (...args: string[]) => runCli(["bootstrap", "--no-gpu", ...args]);

describe("prism bootstrap refuses bad input", () => {
    it("an unknown stage, or a stage whose earlier stages have not run", async () => {
        const unknown = await bootstrap("--model", model, "--out", path.join(dir, "a"), "--stages", "personas,train");
        expect(unknown.code).toBe(2);
        expect(unknown.stderr).toMatch(/--stages: unknown stage train/);
        expect(unknown.stderr).toMatch(/hint: stages: personas, queries, answers, judge, datasets, distill, gate, summary/);
        const early = await bootstrap("--model", model, "--out", path.join(dir, "b"), "--stages", "gate");
        expect(early.code).toBe(2);
        expect(early.stderr).toMatch(/stage personas has not finished, and a later stage was asked for/);
    });

    it("a missing model, a missing or malformed personas file", async () => {
        const noModel = await bootstrap("--model", path.join(dir, "nope.gguf"), "--out", path.join(dir, "c"));
        expect(noModel.code).toBe(3);
        expect(noModel.stderr).toMatch(/model not found: .*nope\.gguf/);
        const noFile = await bootstrap("--model", model, "--out", path.join(dir, "d"), "--personas", path.join(dir, "none.jsonl"));
        expect(noFile.code).toBe(3);
        expect(noFile.stderr).toMatch(/personas file not found: .*none\.jsonl/);
        const bad = path.join(dir, "bad.jsonl");
        fs.writeFileSync(bad, `{"domain": "math", "persona": "You are a mathematician."}\n{"domain": "coding"}\n`);
        const malformed = await bootstrap("--model", model, "--out", path.join(dir, "e"), "--personas", bad, "--stages", "personas");
        expect(malformed.code).toBe(3);
        expect(malformed.stderr).toMatch(/bad\.jsonl:2: invalid record.*give "persona"/);
    });

    it("--domains with --personas, a bad threshold, a bad training setting or count, each named by its flag", async () => {
        const both = await bootstrap("--model", model, "--out", path.join(dir, "f"), "--domains", "math", "--personas", "x.jsonl");
        expect(both.code).toBe(2);
        expect(both.stderr).toMatch(/mutually exclusive/);
        const threshold = await bootstrap("--model", model, "--out", path.join(dir, "g"), "--gate-threshold", "1.5");
        expect(threshold.code).toBe(2);
        expect(threshold.stderr).toMatch(/--gate-threshold must be a number in \[0, 1\] or "calibrate" \(got 1\.5\)/);
        const rank = await bootstrap("--model", model, "--out", path.join(dir, "h"), "--rank", "0");
        expect(rank.code).toBe(2);
        expect(rank.stderr).toMatch(/^prism: --rank: .* \(got 0\)$/m);
        expect(fs.existsSync(path.join(dir, "h", "personas.jsonl"))).toBe(false);
        // --batch and --grad-accum reach the trainer's config, checked before any stage.
        const batch = await bootstrap("--model", model, "--out", path.join(dir, "i"), "--batch", "0", "--grad-accum", "2");
        expect(batch.code).toBe(2);
        expect(batch.stderr).toMatch(/^prism: --batch: .* \(got 0\)$/m);
        expect(fs.existsSync(path.join(dir, "i", "personas.jsonl"))).toBe(false);
        const evalEvery = await bootstrap("--model", model, "--out", path.join(dir, "j"), "--eval-every", "-1");
        expect(evalEvery.code).toBe(2);
        expect(evalEvery.stderr).toMatch(/^prism: --eval-every: .* \(got -1\)$/m);
        // A field of the pipeline's own config, not the trainer's.
        const queries = await bootstrap("--model", model, "--out", path.join(dir, "k"), "--queries-per-intent", "0");
        expect(queries.code).toBe(2);
        expect(queries.stderr).toMatch(/^prism: --queries-per-intent: .* \(got 0\)$/m);
    });

    it("--layers: a bad value is named by its flag; a good one reaches the adapter's training config", async () => {
        const bad = await bootstrap("--model", model, "--out", path.join(dir, "l"), "--layers", "1,x");
        expect(bad.code).toBe(2);
        expect(bad.stderr).toMatch(/--layers: expected all, all-but-first or block indices like 1,2,3, got 1,x/);
        // Blocks the model lacks are refused before the first stage, not at the distill stage after generation, also
        // where the memory check (which meets them too) is skipped.
        const missing = await bootstrap("--model", model, "--out", path.join(dir, "n"), "--layers", "1,5", "--skip-memory-check");
        expect(missing.code).toBe(2);
        expect(missing.stderr).toMatch(/layers 5 do not exist in a model of 2 blocks/);
        expect(fs.existsSync(path.join(dir, "n", "personas.jsonl"))).toBe(false);
        const ok = await bootstrap("--model", model, "--out", path.join(dir, "m"), "--layers", "all", "--domains", "math", "--stages", "personas");
        expect(ok.code, ok.stderr.slice(-2000)).toBe(0);
        expect(JSON.parse(fs.readFileSync(path.join(dir, "m", "run.json"), "utf8")).config.training).toEqual({layers: "all"});
    });

    it("an --out that is a file, or a directory holding something else", async () => {
        const file = path.join(dir, "file.txt");
        fs.writeFileSync(file, "x");
        const r = await bootstrap("--model", model, "--out", file);
        expect(r.code).toBe(2);
        expect(r.stderr).toMatch(/is a file, not a directory/);
        const other = path.join(dir, "other");
        fs.mkdirSync(other);
        fs.writeFileSync(path.join(other, "notes.txt"), "mine");
        const r2 = await bootstrap("--model", model, "--out", other);
        expect(r2.code).toBe(2);
        expect(r2.stderr).toMatch(/is not empty and holds no bootstrap run/);
    });
});
