import {LoraTrainer} from "./src/train/lora-trainer.js";
import {Rng} from "./src/util/rng.js";
import {benchModel} from "./bench/bench-helpers.js";
const modelPath = await benchModel("train-w512", {arch: "qwen2", dim: 512, heads: 8, kvHeads: 2, layers: 4, ff: 1280, dtype: "f32"});
const rng = new Rng(1);
const examples = Array.from({length: 24}, (_, i) => ({source: `b${i}`, prompt: Array.from({length: 32}, () => rng.int(500)), response: Array.from({length: 96}, () => rng.int(500))}));
const trainer = await LoraTrainer.create({modelPath, objective: "sft", rank: 16, epochs: 1, batchSize: 4, dropout: 0.05, threads: Number(process.env.T ?? 1), device: "cpu"});
await trainer.train(examples, {onProgress: (p) => console.log(p.step, p.stepMs.toFixed(0), (p.stepFlops / 1e9).toFixed(2), "GFLOP", (p.stepFlops / p.stepMs / 1e6).toFixed(1), "GFLOP/s")});
trainer.dispose();
