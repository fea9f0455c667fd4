import path from "node:path";
import {getLlama, type Llama} from "node-llama-cpp";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {readGgufLora, writeGgufLora} from "../src/lora/gguf-lora.js";
import {GgufFile} from "../src/model/gguf-file.js";
import {GgmlType} from "../src/model/ggml-type.js";
import {GgmlModel} from "../src/train/ggml-model.js";
import {LoraTrainer} from "../src/train/lora-trainer.js";
import {Rng} from "../src/util/rng.js";
import {llamaCppLogProbs, logSoftmax, maxRelativeError} from "./helpers/logits.js";
import {tempDir, tinyModel} from "./helpers/tiny-models.js";

let llama: Llama;
beforeAll(async () => {
    llama = await getLlama({gpu: false, build: "never", maxThreads: 1});
});
afterAll(async () => {
    await llama.dispose();
});

describe("adapter parity", () => {
    for (const [arch, dtype] of [["llama", "f32"], ["qwen2", "f32"], ["llama", "q8_0"]] as const)
        it(`${arch} ${dtype}: a trained adapter written as GGUF gives llama.cpp the log-probabilities our graph gives (max relative error < 1e-4)`, async () => {
            // q8_0: the adapter is trained through the quantized weights (the backward uses their dequantised Wᵀ in F16).
            const modelPath = await tinyModel({arch, dtype, dim: 64, heads: 4, kvHeads: 2, layers: 2});
            const rng = new Rng(8);
            const examples = Array.from({length: 4}, (_, i) => ({source: `ex${i}`, prompt: Array.from({length: 5}, () => rng.int(500)), response: Array.from({length: 6}, () => rng.int(500))}));
            const adapterPath = path.join(tempDir("adapter-parity"), "adapter.gguf"), f16Path = adapterPath.replace(/\.gguf$/, "-f16.gguf");
            const tokens = Array.from({length: 20}, () => rng.int(500));
            let ours: Float32Array;
            {
                using trainer = await LoraTrainer.create({modelPath, objective: "sft", rank: 4, alpha: 12, layers: "all", lr: 2e-2, epochs: 8, batchSize: 2, threads: 1});
                await trainer.train(examples);
                const adapter = trainer.adapter();
                expect(adapter.modules.some((m) => m.b.some((x) => x !== 0))).toBe(true);
                await writeGgufLora(adapterPath, adapter, {type: "f32"});
                await writeGgufLora(f16Path, adapter);
                ours = logSoftmax((await trainer.model.logits([tokens], {lora: adapter}))[0]!, trainer.model.hparams.nVocab);
            }
            const model = await llama.loadModel({modelPath});
            try {
                const withAdapter = await llamaCppLogProbs(model, tokens, {lora: adapterPath});
                const without = await llamaCppLogProbs(model, tokens);
                const err = maxRelativeError(ours, withAdapter);
                console.log(`${arch} ${dtype}: adapter log-probabilities, max relative error ${err.toExponential(2)} (the adapter moves them by ${maxRelativeError(without, withAdapter).toExponential(2)})`);
                expect(err).toBeLessThan(1e-4);
                expect(maxRelativeError(without, withAdapter)).toBeGreaterThan(1e-2);
                // The default F16 file: half the bytes, and llama.cpp's log-probabilities stay near the F32 adapter's.
                expect((await GgufFile.open(f16Path)).tensors.every((t) => t.type === GgmlType.F16)).toBe(true);
                const f16Err = maxRelativeError(await llamaCppLogProbs(model, tokens, {lora: f16Path}), withAdapter);
                console.log(`${arch} ${dtype}: F16 adapter vs F32 adapter in llama.cpp, max relative error ${f16Err.toExponential(2)}`);
                expect(f16Err).toBeLessThan(1e-2);
            } finally {
                await model.dispose();
            }
            const written = await readGgufLora(adapterPath);
            expect(written.alpha).toBe(12);
            expect(written.baseModelFingerprint).toMatch(/^sha256:/);
        });

    it("a fresh adapter (B = 0) leaves the logits exactly unchanged", async () => {
        const modelPath = await tinyModel({arch: "qwen2", dim: 64, heads: 4, kvHeads: 2, layers: 2});
        using trainer = await LoraTrainer.create({modelPath, rank: 4, layers: "all", threads: 1});
        const fresh = trainer.adapter();
        expect(fresh.modules.every((m) => m.b.every((x) => x === 0) && m.a.some((x) => x !== 0))).toBe(true);
        using model = await GgmlModel.load({modelPath, device: "cpu", threads: 1});
        const tokens = [3, 14, 15, 92, 65, 35, 89, 79];
        const [base] = await model.logits([tokens]);
        const [adapted] = await model.logits([tokens], {lora: fresh});
        expect(Array.from(adapted!)).toEqual(Array.from(base!));
    });
});
