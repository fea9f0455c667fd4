// npm run bench:partial-forward [-- --json]: the gate's feature (the state after block 0 at the last prompt token)
// against a full forward of the same prompts, measured side by side on a width-512, 8-block tiny model.
import {GgmlModel} from "../src/train/ggml-model.js";
import {PartialForward} from "../src/forward/partial-forward.js";
import {Rng} from "../src/util/rng.js";
import {benchModel, benchThreads, printLast} from "./bench-helpers.js";

const json = process.argv.includes("--json");
const layers = 8, prompts = 8, promptTokens = 96, rounds = 5;
const threads = benchThreads();
const modelPath = await benchModel("forward-w512-l8", {arch: "qwen2", dim: 512, heads: 8, kvHeads: 2, layers, ff: 1280, dtype: "f16"});
const rng = new Rng(2);
const batch = Array.from({length: prompts}, () => Array.from({length: promptTokens}, () => rng.int(500)));

using partial = await PartialForward.load({modelPath, layers: 1, device: "cpu", threads});
using full = await GgmlModel.load({modelPath, device: "cpu", threads});
const lastPositions = batch.map((p) => [p.length - 1]);
const time = async (fn: () => Promise<unknown>) => {
    await fn();
    const started = performance.now();
    for (let i = 0; i < rounds; i++) await fn();
    return (performance.now() - started) / rounds;
};
// Interleave the two so that load from other processes hits both alike.
let partialMs = 0, fullMs = 0;
for (let r = 0; r < 2; r++) {
    partialMs += await time(() => partial.hiddenStates(batch)) / 2;
    fullMs += await time(() => full.logits(batch, {positions: lastPositions})) / 2;
}
const record = {partial_ms: +partialMs.toFixed(2), full_ms: +fullMs.toFixed(2), ratio: +(partialMs / fullMs).toFixed(3), blocks: layers, prompts, prompt_tokens: promptTokens, threads};
printLast(json, [
    `${prompts} prompts × ${promptTokens} tokens, width 512, ${layers} blocks (F16), ${threads} threads:`,
    `  state after block 0: ${record.partial_ms} ms; full forward (logits of the last token): ${record.full_ms} ms`,
    `  the gate's feature costs ${(record.ratio * 100).toFixed(1)}% of a full forward`
], record);
