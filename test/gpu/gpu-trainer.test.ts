import {describe, expect, it} from "vitest";
import {Ggml} from "../../src/ggml/ggml.js";
import {GgmlModel} from "../../src/train/ggml-model.js";
import {LoraTrainer} from "../../src/train/lora-trainer.js";
import {Rng} from "../../src/util/rng.js";
import {maxRelativeError} from "../helpers/logits.js";
import {tinyModel} from "../helpers/tiny-models.js";

// npm run test:gpu: the trainer on the GPU backend node-llama-cpp ships for this machine (CUDA, Vulkan, Metal),
// against the same code on the CPU. Skipped where no GPU backend exists; the CPU tests cover the same interface
// (GgmlBackend, CompiledGraph, buildTrainingGraph) there.
const ggml = await Ggml.load({gpu: "auto"});
const gpu = ggml.devices().find((d) => d.kind === "gpu" || d.kind === "igpu");

describe.skipIf(!gpu)(`trainer on ${gpu?.description ?? "no GPU"}`, () => {
    const shapes = [["qwen2", "f32"], ["llama", "q8_0"]] as const;
    for (const [arch, dtype] of shapes)
        it(`${arch} ${dtype}: the GPU forward gives the CPU's logits (max relative error < 1e-3)`, async () => {
            const modelPath = await tinyModel({arch, dtype, dim: 64, heads: 4, kvHeads: 2, layers: 2});
            const tokens = Array.from({length: 24}, (_, i) => (i * 37) % 250);
            using cpu = await GgmlModel.load({modelPath, device: "cpu"});
            using onGpu = await GgmlModel.load({modelPath, device: "gpu"});
            const err = maxRelativeError((await onGpu.logits([tokens]))[0]!, (await cpu.logits([tokens]))[0]!);
            console.log(`${arch} ${dtype}: GPU vs CPU logits, max relative error ${err.toExponential(2)}`);
            expect(err).toBeLessThan(1e-3);
        });

    for (const [arch, dtype] of shapes)
        it(`${arch} ${dtype}: training steps on the GPU follow the CPU's (losses within 1e-3 relative) and lower the loss`, async () => {
            const modelPath = await tinyModel({arch, dtype, dim: 64, heads: 4, kvHeads: 2, layers: 2});
            const rng = new Rng(8);
            const examples = Array.from({length: 4}, (_, i) => ({source: `ex${i}`, prompt: Array.from({length: 5}, () => rng.int(250)), response: Array.from({length: 6}, () => rng.int(250))}));
            const run = async (device: "cpu" | "gpu") => {
                using trainer = await LoraTrainer.create({modelPath, objective: "sft", rank: 4, layers: "all", lr: 2e-2, epochs: 4, batchSize: 2, dropout: 0, device});
                return (await trainer.train(examples)).losses;
            };
            const cpu = await run("cpu"), onGpu = await run("gpu");
            console.log(`${arch} ${dtype}: losses CPU ${cpu.map((x) => x.toFixed(4)).join(" ")}, GPU ${onGpu.map((x) => x.toFixed(4)).join(" ")}`);
            onGpu.forEach((loss, i) => expect(Math.abs(loss - cpu[i]!) / cpu[i]!).toBeLessThan(1e-3));
            expect(onGpu.at(-1)!).toBeLessThan(onGpu[0]!);
        });
});

describe.runIf(!gpu)("without a GPU backend", () => {
    it("finds only CPU devices (the GPU tests above are skipped)", () => {
        expect(ggml.devices().every((d) => d.kind !== "gpu" && d.kind !== "igpu")).toBe(true);
    });
});
