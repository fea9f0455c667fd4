import fs from "node:fs";
import path from "node:path";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {LlamaEngine} from "../src/engine/llama-engine.js";
import {GgufFile} from "../src/model/gguf-file.js";
import {GgmlType} from "../src/model/ggml-type.js";
import {buildWorldModel, defaultWorldBuildConfig, recordPathFor, type WorldBuildRecord} from "../src/world/build-world-model.js";
import {generateWorldTasks} from "../src/world/generate-tasks.js";
import {measureWorldModel} from "../src/world/measure-world-model.js";
import {isPlantedRight} from "../src/world/planted-effects.js";
import {runCli} from "./helpers/run-cli.js";
import {tempDir} from "./helpers/tiny-models.js";

// `prism world build` end to end on a very small world, with the CLI's defaults for what it has no flag for (the full build uses all defaults).
const tmp = tempDir("world-build");
const small = {perDomain: 2, merges: 200, dim: 32, layers: 1, heads: 2, kvHeads: 1, context: 512, epochs: 1, lr: 3e-3};
const cliFlags = ["--per-domain", "2", "--merges", "200", "--dim", "32", "--layers", "1", "--heads", "2", "--kv-heads", "1", "--context", "512", "--epochs", "1", "--lr", "0.003"];
let out: string, record: WorldBuildRecord;
beforeAll(async () => {
    out = path.join(tmp, "world.gguf");
    record = await buildWorldModel({out, ...small, command: "test"});
}, 300_000);
afterAll(() => fs.rmSync(tmp, {recursive: true, force: true}));

describe("prism world build", () => {
    it("trains every parameter: the held-out loss falls far from its random start, and the record says what was built", () => {
        const [first, last] = [record.evals[0]!, record.evals.at(-1)!];
        expect(first.epoch).toBe(0);
        expect(last.loss, JSON.stringify(record.evals)).toBeLessThan(first.loss - 2);
        expect(record.finalTrainLoss).toBeLessThan(record.firstLoss - 2);
        const chunk = Math.min(defaultWorldBuildConfig.chunkWindows, record.corpus.windows);
        expect(record.steps).toBe(Math.max(1, Math.round(record.corpus.windows / chunk)) * chunk);
        expect(record.corpusSha256).toMatch(/^[0-9a-f]{64}$/);
        expect(JSON.parse(fs.readFileSync(recordPathFor(out), "utf8"))).toEqual(record);
    });

    it("writes a ChatML model with the corpus's BPE vocabulary and Q8_0 matrices, which prism's engine loads and runs", async () => {
        const file = await GgufFile.open(out);
        expect(file.get<string>("tokenizer.chat_template")).toContain("<|im_start|>");
        expect(file.get<string>("general.name")).toBe("prism-world-L1-D32-s1");
        expect(file.get<string[]>("tokenizer.ggml.tokens")!.length).toBe(record.model.vocab);
        expect(file.requireTensor("blk.0.ffn_up.weight").type).toBe(GgmlType.Q8_0);
        expect(file.requireTensor("blk.0.attn_norm.weight").type).toBe(GgmlType.F32);
        // The long persona prompts outgrow the small model's 512-token window in its 200-merge vocabulary.
        await using engine = await LlamaEngine.load({model: out, gpu: false, threads: 1, contextSize: 1024});
        const tasks = generateWorldTasks({seed: 99, perDomain: 1, domains: ["math", "safety monitor"]});
        const m = await measureWorldModel(engine, tasks, {maxTokens: 16});
        expect(m.domains.map((d) => d.domain)).toEqual(["math", "safety monitor"]);
        for (const [d, t] of m.domains.map((d, i) => [d, tasks[i]!] as const)) {
            expect(d.tasks).toBe(1);
            expect(d.plantedBase).toBe(isPlantedRight(t.domain, t.tier, "base") ? 1 : 0);
            expect([0, 1]).toContain(d.base);
        }
        for (const [k, v] of Object.entries(m.parse)) {
            expect(v, k).toBeGreaterThanOrEqual(0);
            expect(v, k).toBeLessThanOrEqual(1);
        }
    }, 240_000);

    it("the CLI with the same settings writes the same file, byte for byte (seeded and reproducible)", async () => {
        const again = path.join(tmp, "again.gguf");
        const r = await runCli(["world", "build", "--out", again, ...cliFlags, "--quiet"], {timeoutMs: 280_000});
        expect(r.stderr).toBe("");
        expect(r.code).toBe(0);
        expect(r.stdout).toMatch(/wrote .*again\.gguf .* parameters, vocabulary \d+\) and .*again\.json: \d+ steps, loss/);
        expect(fs.readFileSync(again).equals(fs.readFileSync(out))).toBe(true);
    }, 300_000);

    it("refuses a bad setting with the field's name (exit 2)", async () => {
        const r = await runCli(["world", "build", "--out", path.join(tmp, "bad.gguf"), "--dim", "48"]);
        expect(r.code).toBe(2);
        expect(r.stderr).toMatch(/dim to be a multiple of 32/);
    });
});
