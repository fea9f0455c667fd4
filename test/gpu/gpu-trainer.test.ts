import {execFile} from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import {promisify} from "node:util";
import {getLlama, type Llama} from "node-llama-cpp";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {PartialForward} from "../../src/forward/partial-forward.js";
import {ggmlBuildFor} from "../../src/ggml/ggml-backend.js";
import {availableGpuBackends} from "../../src/ggml/ggml-libraries.js";
import {RunSummary} from "../../src/pipeline/run-summary.js";
import {GgmlModel} from "../../src/train/ggml-model.js";
import {LoraTrainer} from "../../src/train/lora-trainer.js";
import {Rng} from "../../src/util/rng.js";
import {checkLoraGradients} from "../helpers/lora-gradient-check.js";
import {llamaCppLogProbs, logSoftmax, maxRelativeError} from "../helpers/logits.js";
import {runCli} from "../helpers/run-cli.js";
import {testDevice} from "../helpers/test-device.js";
import {tempDir, tinyModel} from "../helpers/tiny-models.js";

// npm run test:gpu: the trainer, the gate's partial forward, bench:train and a bootstrap on the GPU backend
// node-llama-cpp ships for this machine (CUDA before Vulkan), or on the device PRISM_TEST_DEVICE names
// (PRISM_TEST_DEVICE=cpu runs every check on the CPU backend, proving the checks themselves). Without either, the
// tests are skipped with the reason. References are device-independent: llama.cpp on the CPU, finite differences,
// and the CPU backend.
const target = await testDevice();
const device = target.device ?? "cpu";
const onCpu = (tolerance: number) => (device === "cpu" ? tolerance : tolerance * 10);

describe.skipIf(!target.device)(`on ${target.device ? target.label : "no GPU"}`, () => {
    let llama: Llama;
    beforeAll(async () => {
        llama = await getLlama({gpu: false, build: "never", maxThreads: 1});
    });
    afterAll(async () => {
        await llama.dispose();
    });

    for (const [arch, dtype] of [["qwen2", "f32"], ["llama", "q8_0"]] as const)
        it(`${arch} ${dtype}: forward parity with llama.cpp on the CPU (max relative error of log-probabilities < ${onCpu(1e-3)})`, async () => {
            const modelPath = await tinyModel({arch, dtype, dim: 64, heads: 4, kvHeads: 2, layers: 2});
            const model = await llama.loadModel({modelPath});
            try {
                const tokens = Array.from(model.tokenize("The quick brown fox jumps over the lazy dog."));
                const reference = await llamaCppLogProbs(model, tokens);
                using ours = await GgmlModel.load({modelPath, device, threads: 1});
                expect(ours.backend.isCpu).toBe(device === "cpu");
                const [logits] = await ours.logits([tokens]);
                const err = maxRelativeError(logSoftmax(logits!, ours.hparams.nVocab), reference);
                console.log(`${arch} ${dtype} on ${ours.backend.device.description}: max relative error ${err.toExponential(2)} over ${tokens.length} positions`);
                expect(err).toBeLessThan(onCpu(1e-3));
            } finally {
                await model.dispose();
            }
        });

    it("F32: the LoRA gradients agree with finite differences and with the reference path", async () => {
        await checkLoraGradients({
            label: "F32", tolerance: 1e-2, load: () => tinyModel({arch: "qwen2", dtype: "f32", dim: 32, heads: 4, kvHeads: 2, layers: 2, ff: 64, vocab: "byte"})
        }, {dropout: true, device});
    }, 120_000);

    it("qwen2 f32: training steps follow the CPU's (losses within 1e-3 relative) and lower the loss", async () => {
        const modelPath = await tinyModel({arch: "qwen2", dtype: "f32", dim: 64, heads: 4, kvHeads: 2, layers: 2});
        const rng = new Rng(8);
        const examples = Array.from({length: 4}, (_, i) => ({source: `ex${i}`, prompt: Array.from({length: 5}, () => rng.int(250)), response: Array.from({length: 6}, () => rng.int(250))}));
        const run = async (on: typeof device) => {
            using trainer = await LoraTrainer.create({modelPath, objective: "sft", rank: 4, layers: "all", lr: 2e-2, epochs: 4, batchSize: 2, dropout: 0, device: on, threads: 1});
            return (await trainer.train(examples)).losses;
        };
        const cpu = await run("cpu"), here = await run(device);
        console.log(`losses CPU ${cpu.map((x) => x.toFixed(4)).join(" ")}, ${device} ${here.map((x) => x.toFixed(4)).join(" ")}`);
        expect(here).toHaveLength(cpu.length);
        here.forEach((loss, i) => expect(Math.abs(loss - cpu[i]!) / cpu[i]!).toBeLessThan(1e-3));
        expect(here.at(-1)!).toBeLessThan(here[0]!);
    });

    it("the gate's partial forward gives the CPU's states (max relative difference < 1e-3), batched or not", async () => {
        const modelPath = await tinyModel({arch: "qwen2", dim: 64, heads: 4, kvHeads: 2, layers: 3});
        using here = await PartialForward.load({modelPath, layers: 2, device, threads: 1});
        using cpu = await PartialForward.load({modelPath, layers: 2, device: "cpu", threads: 1});
        const rng = new Rng(4);
        const prompts = [9, 4, 13].map((n) => Array.from({length: n}, () => rng.int(500)));
        for (const layers of [1, 2]) {
            const batched = await here.hiddenStates(prompts, {layers});
            for (const [i, p] of prompts.entries()) {
                const reference = await cpu.hiddenState(p, {layers});
                expect(maxRelativeError(batched[i]!, reference)).toBeLessThan(1e-3);
                expect(maxRelativeError(await here.hiddenState(p, {layers}), reference)).toBeLessThan(1e-3);
            }
        }
        // Deeper blocks change the state: the check above compared two different layers' outputs, not one twice.
        expect(maxRelativeError(await here.hiddenState(prompts[0]!, {layers: 1}), await here.hiddenState(prompts[0]!, {layers: 2}))).toBeGreaterThan(1e-2);
    });

    it("bench:train at Qwen2.5-7B's layer widths: a short run prints its ratio to the plain matrix product", async () => {
        const tsx = path.resolve(import.meta.dirname, "../../node_modules/.bin/tsx");
        const bench = path.resolve(import.meta.dirname, "../../bench/train.ts");
        const args = [bench, "--device", device, "--shape", "7b", "--layers", "2", "--batch", "1", "--seq", "16", "--steps", "1", "--json"];
        const {stdout} = await promisify(execFile)(tsx, args, {env: {...process.env, PRISM_BENCH_THREADS: "1"}, maxBuffer: 1 << 20});
        console.log(stdout);
        const last = JSON.parse(stdout.trim().split("\n").at(-1)!) as {device: string, ratio: number, gflops: number, model: {dim: number, ff: number}};
        expect(last.device).toBe(device);
        expect(last.model).toMatchObject({dim: 3584, ff: 18944});
        expect(last.gflops).toBeGreaterThan(0);
        expect(last.ratio).toBeGreaterThan(0);
        expect(stdout).toMatch(/ratio \d+(\.\d)?%/);
    }, 300_000);

    it("a small prism bootstrap trains its adapter and gate on the device", async () => {
        const dir = tempDir("gpu-bootstrap");
        try {
            const out = path.join(dir, "run");
            const model = await tinyModel({seed: 11});
            const r = await runCli([
                "bootstrap", "--model", model, "--out", out, "--domains", "math,coding,critic", "--queries-per-intent", "4", "--persona-length", "short",
                "--answer-max-tokens", "24", "--truncate", "200", "--judge-temperature", "1", "--epochs", "2", "--lr", "1e-2",
                "--device", device, ggmlBuildFor(device) === false ? "--no-gpu" : "--gpu", "--json"
            ], {timeoutMs: 240_000});
            expect(r.code, r.stderr).toBe(0);
            const {ran, summary} = JSON.parse(r.stdout) as {ran: string[], summary: unknown};
            expect(ran).toEqual(["personas", "queries", "answers", "judge", "datasets", "distill", "gate", "summary"]);
            const s = RunSummary.parse(summary);
            expect(s.adapter.steps).toBeGreaterThan(0);
            expect(Number.isFinite(s.adapter.finalLoss)).toBe(true);
            expect(fs.statSync(path.join(out, "adapter.gguf")).size).toBeGreaterThan(0);
            expect(fs.existsSync(path.join(out, "gate.json"))).toBe(true);
        } finally {
            fs.rmSync(dir, {recursive: true, force: true});
        }
    }, 300_000);
});

describe.runIf(!target.device)("without a GPU backend", () => {
    it("finds no GPU backend node-llama-cpp can load here, and says why the GPU tests are skipped", async () => {
        if (!target.device) console.log(`GPU tests skipped: ${target.skipReason}`);
        expect(await availableGpuBackends()).toEqual([]);
    });
});
