// npm run bench:memory [-- --json] [-- --no-checkpointing] [-- --src DIR]: peak memory (RSS) of LoRA training on a
// model with Qwen2.5-7B's layer shapes (3 blocks, Q4_K_M quantised by llama.cpp's llama_model_quantize, Qwen2's
// real vocabulary: a stand-in from test/helpers/llama-cpp, written once into .cache/llama-cpp, ~1.1 GB).
// Each measurement is a fresh process that loads the model and runs one optimiser step of one micro-batch of
// B sequences of T tokens (default 256, --seq; half of each is the scored answer; SFT, rank 16, every projection),
// then reports its peak RSS. Two batch sizes give the cost per token; adapting block 2 only instead of blocks 1-2
// gives the cost per adapted block. With the file's weight bytes that projects to Qwen2.5-7B (28 blocks) and
// Llama-3.1-8B (32 blocks) Q4_K_M at prism's defaults (LoRA on all blocks but the first, batch 4 × 512); the
// per-token cost of the block being differentiated is scaled from T to 512 by its attention share (an estimate).
// --src DIR measures another checkout (e.g. the code before a change). On 2 busy cores it takes about 15 minutes.
// --from FILE re-projects the runs of an earlier `-- --json` line (saved to FILE) without measuring again.
import {spawnSync} from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import {GgufFile} from "../src/model/gguf-file.js";
import {ggmlTypeName} from "../src/model/ggml-type.js";
import {standInModel, type StandInSpec} from "../test/helpers/llama-cpp/stand-in-models.js";
import type * as LoraTrainerModule from "../src/train/lora-trainer.js";
import {RUNTIME_BYTES} from "../src/train/memory-plan.js";
import {printLast} from "./bench-helpers.js";

const GiB = 1024 ** 3, MiB = 1024 ** 2;
const SPEC: StandInSpec = {arch: "qwen2", layers: 3, dim: 3584, heads: 28, kvHeads: 4, ff: 18944, vocab: "qwen2", chatTemplate: "Qwen-Qwen2.5-7B-Instruct", dtype: "f16", quant: "q4_k_m"};
const RANK = 16, DEFAULT_BATCH = 4, DEFAULT_T = 512;

type ChildArgs = {modelPath: string, layers: number[], B: number, T: number, checkpointing: boolean, src: string};
type ChildResult = {maxRssBytes: number, stepMs: number};

const argv = process.argv.slice(2);
const childAt = argv.indexOf("--child");
if (childAt >= 0) {
    const args = JSON.parse(argv[childAt + 1]!) as ChildArgs;
    console.log(JSON.stringify(await child(args)));
    process.exit(0);
}

/** One measurement, in this (fresh) process. */
async function child({modelPath, layers, B, T, checkpointing, src}: ChildArgs): Promise<ChildResult> {
    const {LoraTrainer} = await import(path.join(src, "src/train/lora-trainer.js")) as typeof LoraTrainerModule;
    const examples = Array.from({length: B}, (_, b) => ({
        source: `bench-${b}`, prompt: Array.from({length: T / 2}, (_, i) => (i * 7 + b) % 5000), response: Array.from({length: T / 2}, (_, i) => (i * 13 + b) % 5000)
    }));
    const extra = checkpointing ? {} : {checkpointActivations: false};
    using trainer = await LoraTrainer.create({modelPath, objective: "sft", rank: RANK, layers, batchSize: B, epochs: 1, maxSteps: 1, device: "cpu", ...extra});
    const started = performance.now();
    await trainer.train(examples);
    return {maxRssBytes: process.resourceUsage().maxRSS * 1024, stepMs: performance.now() - started};
}

function measure(args: ChildArgs): ChildResult {
    const run = spawnSync(process.execPath, [...process.execArgv, import.meta.filename, "--child", JSON.stringify(args)], {encoding: "utf8", maxBuffer: 64 * MiB});
    const last = run.stdout.trim().split("\n").at(-1) ?? "";
    if (run.status !== 0 || !last.startsWith("{")) throw new Error(`measurement ${JSON.stringify(args)} failed (exit ${run.status}):\n${run.stderr.slice(-4000)}`);
    return JSON.parse(last) as ChildResult;
}

/** The shapes of a model as the projection needs them. */
type Shape = {name: string, L: number, C: number, F: number, H: number, Hkv: number, V: number, bias: boolean};
const QWEN_7B: Shape = {name: "Qwen2.5-7B", L: 28, C: 3584, F: 18944, H: 28, Hkv: 4, V: 152064, bias: true};
const LLAMA_8B: Shape = {name: "Llama-3.1-8B", L: 32, C: 4096, F: 14336, H: 32, Hkv: 8, V: 128256, bias: false};
const STAND_IN: Shape = {name: "stand-in", L: SPEC.layers, C: SPEC.dim, F: SPEC.ff, H: SPEC.heads, Hkv: SPEC.kvHeads, V: 152064, bias: true};

/** Bytes per element of the K-quants Q4_K_M uses (ggml's block sizes: 144 and 210 bytes per 256 weights). */
const Q4_K = 144 / 256, Q6_K = 210 / 256;
/** llama.cpp's use_more_bits: the Q4_K_M blocks whose attn_v and ffn_down get Q6_K. */
const moreBits = (i: number, n: number) => i < Math.floor(n / 8) || i >= Math.floor((7 * n) / 8) || (i - Math.floor(n / 8)) % 3 === 2;

/** A Q4_K_M file's weight bytes as llama.cpp's quantizer types them: blocks (each), and the rest. */
function q4kmBytes(s: Shape): {blocks: number[], rest: number} {
    const kv = (s.C / s.H) * s.Hkv;
    const blocks = Array.from({length: s.L}, (_, i) => {
        const vdown = moreBits(i, s.L) ? Q6_K : Q4_K;
        const q4 = s.C * s.C * 2 + s.C * kv + s.C * s.F * 2; // q, o, k, gate, up
        const f32 = 4 * (2 * s.C + (s.bias ? s.C + 2 * kv : 0)); // norms, q/k/v biases
        return q4 * Q4_K + (s.C * kv + s.F * s.C) * vdown + f32;
    });
    return {blocks, rest: s.V * s.C * Q4_K + s.V * s.C * Q6_K + 4 * s.C};
}

/** LoRA parameters of one block (all seven projections). */
const loraParams = (s: Shape) => RANK * (2 * (2 * s.C) + 2 * (s.C + (s.C / s.H) * s.Hkv) + 3 * (s.C + s.F));
/** The activations one block keeps per token while its backward runs, up to a constant factor (for scaling between architectures and T). */
const blockWorkingSet = (s: Shape, t: number) => 4 * s.C + 3 * s.F + 2 * s.H * t;

const json = argv.includes("--json");
const T = argv.includes("--seq") ? Number(argv[argv.indexOf("--seq") + 1]) : 256;
const checkpointing = !argv.includes("--no-checkpointing");
const src = path.resolve(argv.includes("--src") ? argv[argv.indexOf("--src") + 1]! : path.join(import.meta.dirname, ".."));
const modelPath = await standInModel(SPEC);
const file = await GgufFile.open(modelPath);
const blockBytes = Array.from({length: SPEC.layers}, (_, l) => file.tensors.filter((t) => t.name.startsWith(`blk.${l}.`)).reduce((n, t) => n + t.sizeBytes, 0));
const weightBytes = file.tensors.reduce((n, t) => n + t.sizeBytes, 0);
const predicted = q4kmBytes(STAND_IN);
const typesSeen = [...new Set(file.tensors.map((t) => t.type))].map((t) => ggmlTypeName(t)).join(", ");

const runs: (ChildResult & {layers: number[], B: number})[] = [];
const from = argv.includes("--from") ? argv[argv.indexOf("--from") + 1]! : undefined;
if (from) {
    const saved = JSON.parse(fs.readFileSync(from, "utf8")) as {seq: number, checkpointing: boolean, runs: {layers: number[], batch: number, max_rss_bytes: number, step_ms: number}[]};
    if (saved.seq !== T || saved.checkpointing !== checkpointing) throw new Error(`${from} was measured at --seq ${saved.seq}, checkpointing ${saved.checkpointing}: pass the same flags`);
    runs.push(...saved.runs.map((r) => ({layers: r.layers, B: r.batch, maxRssBytes: r.max_rss_bytes, stepMs: r.step_ms})));
} else {
    for (const [layers, B] of [[[1, 2], 1], [[1, 2], 2], [[2], 1]] as const) {
        const r = measure({modelPath, layers: [...layers], B, T, checkpointing, src});
        runs.push({...r, layers: [...layers], B});
        if (!json) console.error(`  blocks ${layers.join(", ")} adapted, ${B}×${T} tokens: peak RSS ${(r.maxRssBytes / GiB).toFixed(2)} GiB, ${(r.stepMs / 1000).toFixed(0)} s`);
    }
}
const [two1, two2, one1] = runs as [typeof runs[0], typeof runs[0], typeof runs[0]];
const perToken = (two2.maxRssBytes - two1.maxRssBytes) / T;
const fixed = two1.maxRssBytes - perToken * T;
// One adapted block less: its LoRA state (weights, gradients, AdamW moments: 16 bytes a parameter) and its activations.
const loraStatePerBlock = loraParams(STAND_IN) * 16;
const measuredPerBlockPerToken = (two1.maxRssBytes - one1.maxRssBytes - loraStatePerBlock) / T;
// With checkpointing a further adapted block keeps only its F32 input, 4·C bytes a token (14 KiB at this width: 3.5 MiB
// at T = 256, far below the tens of MiB by which peaks of identical runs differ). The difference of two peaks cannot
// resolve that (it came out negative, and the projection with it below zero), so the projection takes 4·C, and the
// measured difference only when it is larger (without checkpointing, where every block keeps its activations).
const perBlockPerToken = Math.max(measuredPerBlockPerToken, 4 * STAND_IN.C);
const onePerToken = Math.max(0, perToken - perBlockPerToken);

function project(s: Shape) {
    const adapted = s.L - 1, tokens = DEFAULT_BATCH * DEFAULT_T;
    const q = q4kmBytes(s);
    const weights = q.blocks.reduce((a, b) => a + b, 0) + q.rest;
    // Fixed: the measured fixed part with the stand-in's weights and LoRA state swapped for the model's.
    const f = fixed - weightBytes - 2 * loraStatePerBlock + weights + adapted * loraParams(s) * 16;
    // Per token: the differentiated block's working set (scaled to the model and T = 512), then each further adapted block.
    const pt = onePerToken * (blockWorkingSet(s, DEFAULT_T) / blockWorkingSet(STAND_IN, T)) + (adapted - 1) * perBlockPerToken * (s.C / STAND_IN.C);
    const adapterState = adapted * loraParams(s) * 16;
    return {model: s.name, weights_bytes: Math.round(weights), fixed_bytes: Math.round(f), adapter_state_bytes: Math.round(adapterState),
        // The target: fixed memory ≤ 1.2× the model file plus adapter and optimiser state (weights stand in for the file).
        fixed_over_file: Number(((f - adapterState) / weights).toFixed(3)),
        bytes_per_token: Math.round(pt), tokens, total_bytes: Math.round(f + pt * tokens), total_batch1_bytes: Math.round(f + pt * DEFAULT_T)};
}
const qwen = project(QWEN_7B), llama = project(LLAMA_8B);
const standInFixedRatio = (fixed - 2 * loraStatePerBlock) / file.fileSizeBytes;
const gib = (b: number) => `${(b / GiB).toFixed(2)} GiB`, mib = (b: number) => `${(b / MiB).toFixed(2)} MiB`;
printLast(json, [
    `Peak RSS of LoRA training (SFT, rank ${RANK}, all projections, activation checkpointing ${checkpointing ? "on" : "off"}) on a ${SPEC.layers}-block model with Qwen2.5-7B's layer shapes,`,
    `Q4_K_M by llama.cpp (${typesSeen}): file ${gib(file.fileSizeBytes)}, blocks ${blockBytes.map(mib).join(", ")} (llama.cpp's Q4_K_M rule predicts ${predicted.blocks.map(mib).join(", ")})`,
    ...runs.map((r) => `  blocks ${r.layers.join(", ")} adapted, ${r.B}×${T} tokens: ${gib(r.maxRssBytes)} (step ${(r.stepMs / 1000).toFixed(0)} s)`),
    `fixed (at 0 tokens): ${gib(fixed)} = ${(fixed / file.fileSizeBytes).toFixed(2)}× the file; per token ${mib(perToken)} (2 adapted blocks): ${mib(onePerToken)} for the block being differentiated and the rest, ${mib(perBlockPerToken)} per further adapted block`,
    ...[qwen, llama].map((p) => `projected ${p.model} Q4_K_M (weights ${gib(p.weights_bytes)}), LoRA on all blocks but the first: fixed ${gib(p.fixed_bytes)} + ${mib(p.bytes_per_token)} per token = ${gib(p.total_bytes)} at ${DEFAULT_BATCH}×${DEFAULT_T}, ${gib(p.total_batch1_bytes)} at 1×${DEFAULT_T}`),
    `targets: fixed less adapter and AdamW state ≤ 1.2× the file: stand-in ${standInFixedRatio.toFixed(2)}× (with ${gib(RUNTIME_BYTES)} of runtime, a constant), ` +
        `${qwen.model} ${qwen.fixed_over_file.toFixed(2)}×, ${llama.model} ${llama.fixed_over_file.toFixed(2)}×; ≤ 1 MiB a token: ${mib(qwen.bytes_per_token)}, ${mib(llama.bytes_per_token)}; ` +
        `${qwen.model} at ${DEFAULT_BATCH}×${DEFAULT_T} ≤ 10 GiB: ${gib(qwen.total_bytes)}`
], {
    checkpointing, src, seq: T, model: {spec: SPEC, file_bytes: file.fileSizeBytes, weight_bytes: weightBytes, block_bytes: blockBytes},
    runs: runs.map((r) => ({layers: r.layers, batch: r.B, tokens: r.B * T, max_rss_bytes: r.maxRssBytes, step_ms: Math.round(r.stepMs)})),
    fixed_bytes: Math.round(fixed), fixed_over_file: Number(standInFixedRatio.toFixed(3)), bytes_per_token: Math.round(perToken), per_block_bytes_per_token: Math.round(perBlockPerToken), measured_per_block_bytes_per_token: Math.round(measuredPerBlockPerToken),
    projections: [qwen, llama], projected_7b_bytes: qwen.total_bytes, projected_8b_bytes: llama.total_bytes
});
