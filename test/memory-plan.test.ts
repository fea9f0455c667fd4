import {spawnSync} from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {GgufFile} from "../src/model/gguf-file.js";
import {estimateMemoryPlan} from "../src/train/memory-plan.js";
import {resolveTrainConfig} from "../src/train/train-config.js";
import {standInModel, type StandInSpec} from "./helpers/llama-cpp/stand-in-models.js";
import {CLI_PATH, runCli} from "./helpers/run-cli.js";
import {tempDir} from "./helpers/tiny-models.js";

// prism plan's estimate against what training really takes, and the pre-flight refusal of bootstrap and train, on a
// one-block model with Qwen2.5-7B's layer shapes (width 3584, 28 heads, 4 KV heads, FFN 18944) written by llama.cpp's
// gguf-py and quantised to Q4_K_M by llama_model_quantize (Llama-2's 32k vocabulary keeps the file at 0.25 GB; made
// once into .cache/llama-cpp, a few minutes). The measured run is a fresh process, so its peak RSS is its own.
const SPEC: StandInSpec = {arch: "llama", layers: 1, dim: 3584, heads: 28, kvHeads: 4, ff: 18944, vocab: "llama-spm", chatTemplate: "meta-llama-Llama-3.1-8B-Instruct", dtype: "f16", quant: "q4_k_m"};
/** How far the estimate may lie from the measured peak, either way. */
const FACTOR = 1.5;
const B = 2, T = 32;

let root: string;
let model: string;
let data: string;
beforeAll(async () => {
    root = tempDir("memory-plan");
    model = await standInModel(SPEC);
    data = path.join(root, "data.jsonl");
    fs.writeFileSync(data, Array.from({length: 4}, (_, i) => JSON.stringify({
        messages: [{role: "user", content: `Question ${i}: what is ${i} + ${i}?`}, {role: "assistant", content: `It is ${2 * i}.`}], teacher_system: "You are a careful teacher."
    })).join("\n") + "\n");
}, 600_000);
afterAll(() => fs.rmSync(root, {recursive: true, force: true}));

/** Peak RSS of a fresh process that loads the model and runs one SFT step of B sequences of T tokens (prism's built trainer). */
function measuredPeakRss(): number {
    const trainer = path.resolve(path.dirname(CLI_PATH), "../train/lora-trainer.js");
    const script = `
        const {LoraTrainer} = await import(${JSON.stringify(trainer)});
        const examples = Array.from({length: ${B}}, (_, b) => ({source: "m" + b, prompt: Array.from({length: ${T / 2}}, (_, i) => (i * 7 + b) % 5000 + 10), response: Array.from({length: ${T / 2}}, (_, i) => (i * 13 + b) % 5000 + 10)}));
        const t = await LoraTrainer.create({modelPath: ${JSON.stringify(model)}, objective: "sft", layers: "all", batchSize: ${B}, maxLen: ${T}, epochs: 1, maxSteps: 1, device: "cpu", threads: 1});
        await t.train(examples);
        t[Symbol.dispose]();
        console.log(JSON.stringify({maxRssBytes: process.resourceUsage().maxRSS * 1024}));`;
    // A file, not -e: node-llama-cpp forks a test process with this process's flags.
    const file = path.join(root, "measure.mjs");
    fs.writeFileSync(file, script);
    const run = spawnSync(process.execPath, [file], {encoding: "utf8", timeout: 300_000});
    const last = run.stdout.trim().split("\n").at(-1) ?? "";
    expect(run.status, run.stderr.slice(-3000)).toBe(0);
    return (JSON.parse(last) as {maxRssBytes: number}).maxRssBytes;
}

describe("memory plan", () => {
    it(`estimates a real training run's peak RSS within ${FACTOR}× on a 7B-shaped block`, async () => {
        const train = resolveTrainConfig({objective: "sft", layers: "all", batchSize: B, maxLen: T});
        const plan = estimateMemoryPlan(await GgufFile.open(model), {train, examples: B, trainDevice: "cpu"});
        const estimate = plan.stages.find((s) => s.stage === "train")!.ramBytes;
        const measured = measuredPeakRss();
        console.log(`memory plan: estimate ${(estimate / 2 ** 20).toFixed(0)} MiB, measured peak RSS ${(measured / 2 ** 20).toFixed(0)} MiB (ratio ${(estimate / measured).toFixed(2)})`);
        expect(estimate / measured).toBeLessThan(FACTOR);
        expect(measured / estimate).toBeLessThan(FACTOR);
    }, 600_000);

    it("prism train refuses a run over --memory-limit before it writes anything, naming options that fit, and plan passes one of them", async () => {
        // The limit lies between the estimate at the defaults and at batch 1 (both read from prism plan itself).
        const plan = async (...extra: string[]) => {
            const r = await runCli(["plan", "--model", model, "--data", data, "--objective", "sft", "--layers", "all", "--json", ...extra]);
            return {code: r.code, stderr: r.stderr, check: JSON.parse(r.stdout) as {fits: boolean, plan: {stages: {stage: string, ramBytes: number}[]}, suggestions: Record<string, unknown>[]}};
        };
        const trainNeeds = (c: Awaited<ReturnType<typeof plan>>) => c.check.plan.stages.find((s) => s.stage === "train")!.ramBytes;
        const atDefaults = await plan(), atBatch1 = await plan("--batch", "1", "--grad-accum", "4");
        expect(atDefaults.code, atDefaults.stderr).toBe(0);
        expect(trainNeeds(atBatch1)).toBeLessThan(trainNeeds(atDefaults));
        const limit = String(Math.round((trainNeeds(atDefaults) + trainNeeds(atBatch1)) / 2));

        const out = path.join(root, "refused");
        const refused = await runCli(["train", "--model", model, "--data", data, "--out", out, "--objective", "sft", "--layers", "all", "--memory-limit", limit]);
        expect(refused.code, refused.stderr).toBe(4);
        expect(refused.stderr).toMatch(/does not fit in memory: train needs [\d.]+ GiB of RAM/);
        expect(refused.stderr).toMatch(/options that fit: --batch 2 --grad-accum 2/);
        expect(fs.existsSync(out)).toBe(false);

        const overLimit = await plan("--memory-limit", limit);
        expect(overLimit.code).toBe(4);
        expect(overLimit.check.fits).toBe(false);
        const suggested = overLimit.check.suggestions[0]!;
        const passes = await plan("--memory-limit", limit, "--batch", String(suggested.batch), "--grad-accum", String(suggested.gradAccum));
        expect(passes.code, passes.stderr).toBe(0);
        expect(passes.check.fits).toBe(true);
    }, 300_000);

    it("prism bootstrap refuses before its first stage writes the run folder", async () => {
        const out = path.join(root, "bootstrap-refused");
        const r = await runCli(["bootstrap", "--model", model, "--out", out, "--no-gpu", "--memory-limit", "600MiB"]);
        expect(r.code, r.stderr).toBe(4);
        expect(r.stderr).toMatch(/does not fit in memory: generate needs .* of RAM, 600\.00 MiB available/);
        expect(r.stderr).toMatch(/--skip-memory-check runs it anyway/);
        expect(fs.existsSync(out)).toBe(false);
    }, 120_000);

    it("--device cuda and vulkan name what is missing when node-llama-cpp's build cannot load here", async () => {
        for (const device of ["cuda", "vulkan"]) {
            const r = await runCli(["plan", "--model", model, "--device", device]);
            if (r.code === 0) continue; // a machine with that GPU
            expect(r.code, r.stderr).toBe(4);
            expect(r.stderr).toMatch(new RegExp(`the ${device === "cuda" ? "CUDA" : "Vulkan"} backend is not available: node-llama-cpp's .* build \\(@node-llama-cpp/[\\w-]+-${device}\\)`));
            expect(r.stderr).toMatch(/hint: .*it needs .*or use --device cpu/);
        }
    }, 120_000);
});
