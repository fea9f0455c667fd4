// npm run bench:train [-- --json]: LoRA training throughput on a width-512 tiny model, against ggml's plain F32
// matrix-product rate measured in the same run, on the same threads, in bursts between the training steps (so both
// see the same load from the rest of the machine). Achieved GFLOP/s counts the matrix products the training graphs
// execute (forward, backward to the inputs, LoRA gradients); ratio = achieved / plain matrix-product rate.
// Runs on one thread and on all cores (PRISM_BENCH_THREADS overrides the latter); the JSON's top-level figures are
// the all-cores run, `runs` has both.
// --device cuda|vulkan|cpu (default cpu) trains on that ggml backend and times the plain matrix product there too, on
// the GPU once (threads do not apply). --shape 7b uses Qwen2.5-7B's layer widths (3584, FFN 18944, 28 heads, 4 KV
// heads) on --layers blocks (default 2) with a short run: --steps measured steps (default 4) of --batch sequences
// (default 4) of --seq tokens (default 128).
import {LoraTrainer} from "../src/train/lora-trainer.js";
import type {TrainingExample} from "../src/train/training-example.js";
import {Rng} from "../src/util/rng.js";
import {benchModel, benchThreads, createMatmulProbe, printLast} from "./bench-helpers.js";

const json = process.argv.includes("--json");
// --no-checkpointing keeps every block's activations instead of recomputing them in the backward.
const checkpointActivations = !process.argv.includes("--no-checkpointing");
const flag = (name: string) => {
    const i = process.argv.indexOf(`--${name}`);
    return i >= 0 ? process.argv[i + 1] : undefined;
};
const count = (name: string, fallback: number) => {
    const value = Number(flag(name) ?? fallback);
    if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer (got ${flag(name)})`);
    return value;
};
const device = flag("device") ?? "cpu";
if (!["cpu", "cuda", "vulkan"].includes(device)) throw new Error(`--device must be cpu, cuda or vulkan (got ${device})`);
const shape = flag("shape") ?? "w512";
if (shape !== "w512" && shape !== "7b") throw new Error(`--shape must be w512 or 7b (got ${shape})`);
const widths = shape === "7b" ? {dim: 3584, ff: 18944, heads: 28, kvHeads: 4, layers: 2} : {dim: 512, ff: 1280, heads: 8, kvHeads: 2, layers: 4};
const {dim, ff, heads, kvHeads} = widths, layers = count("layers", widths.layers);
// The trainer adapts blocks 1 onwards by default, so block 0 alone would leave nothing to train.
if (layers < 2) throw new Error(`--layers must be at least 2 (got ${layers})`);
const rank = 16, batchSize = count("batch", 4), seqLen = count("seq", 128), warmupSteps = 1, measuredSteps = count("steps", 4);
const promptLen = Math.min(32, seqLen >> 1);
const modelPath = await benchModel(shape === "7b" ? `train-7b-l${layers}` : "train-w512", {arch: "qwen2", dim, heads, kvHeads, layers, ff, dtype: "f32"});
const rng = new Rng(1);
const examples: TrainingExample[] = Array.from({length: batchSize * (warmupSteps + measuredSteps)}, (_, i) => ({
    source: `bench-${i}`, prompt: Array.from({length: promptLen}, () => rng.int(500)), response: Array.from({length: seqLen - promptLen}, () => rng.int(500))
}));

type Run = {threads: number, tokens_per_s: number, step_ms: number, gflops: number, matmul_gflops: number, ratio: number};

async function measure(threads: number): Promise<Run> {
    const probe = await createMatmulProbe(dim, ff, batchSize * seqLen, threads, device as "cpu" | "cuda" | "vulkan");
    using trainer = await LoraTrainer.create({modelPath, objective: "sft", rank, epochs: 1, batchSize, dropout: 0.05, threads, device: device as "cpu" | "cuda" | "vulkan", checkpointActivations});
    let flops = 0, ms = 0, tokens = 0, matmulFlops = 0, matmulMs = 0;
    await trainer.train(examples, {
        onProgress: (p) => {
            if (p.phase !== "train" || p.step <= warmupSteps) return;
            flops += p.stepFlops;
            ms += p.stepMs;
            tokens += batchSize * seqLen;
            const burst = probe.burst(p.stepMs / 2);
            matmulFlops += burst.flops;
            matmulMs += burst.ms;
        }
    });
    probe.dispose();
    const gflops = flops / (ms / 1000) / 1e9, matmul = matmulFlops / (matmulMs / 1000) / 1e9;
    return {threads, tokens_per_s: Math.round(tokens / (ms / 1000)), step_ms: +(ms / measuredSteps).toFixed(1), gflops: +gflops.toFixed(2), matmul_gflops: +matmul.toFixed(2), ratio: +(gflops / matmul).toFixed(3)};
}

const all = benchThreads();
const runs = device !== "cpu" ? [await measure(1)] : all > 1 ? [await measure(1), await measure(all)] : [await measure(1)];
const main = runs.at(-1)!;
printLast(json, [
    `LoRA training on ${device}: width ${dim} (FFN ${ff}), ${layers} blocks (F32), rank ${rank} on blocks 1-${layers - 1}, ${batchSize}×${seqLen} tokens per step, activation checkpointing ${checkpointActivations ? "on" : "off"};`,
    `plain matmul: ggml F32 on ${device}, ${dim}×${ff} weight on ${batchSize * seqLen} tokens, timed in bursts between the training steps`,
    ...runs.map((r) => `  ${r.threads} thread(s): ${r.tokens_per_s} tokens/s, ${r.step_ms} ms/step, ${r.gflops} GFLOP/s vs plain matmul ${r.matmul_gflops} GFLOP/s: ratio ${(r.ratio * 100).toFixed(1)}%`)
], {...main, device, shape, checkpointActivations, runs, model: {dim, ff, layers, heads, kvHeads, dtype: "f32"}, steps: measuredSteps, rank, batch: {sequences: batchSize, tokens: seqLen}});
