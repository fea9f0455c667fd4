import {describe, expect, it} from "vitest";
import {GgufFile} from "../src/model/gguf-file.js";
import {readModelHparams} from "../src/model/model-hparams.js";
import {loadChatTokenizer} from "../src/engine/load-chat-tokenizer.js";
import {LoraTrainer} from "../src/train/lora-trainer.js";
import {tokenizeExamples, type TrainingExample} from "../src/train/training-example.js";
import {Rng} from "../src/util/rng.js";
import {chatRecords} from "./helpers/chat-records.js";
import {tinyModel} from "./helpers/tiny-models.js";

describe("LoRA trainer: it learns", () => {
    it("SFT on a few fixed answers reaches near-zero loss", async () => {
        // Width 128: a random tiny model's output layer can make a token certain only when it is wide enough.
        const modelPath = await tinyModel({arch: "llama", dim: 128, heads: 4, kvHeads: 2, layers: 2});
        const rng = new Rng(1);
        const examples: TrainingExample[] = Array.from({length: 4}, (_, i) => ({
            source: `fixed-${i}`, prompt: Array.from({length: 6 + i}, () => rng.int(500)), response: Array.from({length: 10}, () => rng.int(500))
        }));
        using trainer = await LoraTrainer.create({modelPath, objective: "sft", rank: 8, layers: "all", lr: 1e-2, epochs: 100, batchSize: 4, dropout: 0, weightDecay: 0, threads: 1});
        const before = await trainer.evaluate(examples);
        const result = await trainer.train(examples);
        const after = await trainer.evaluate(examples);
        console.log(`SFT: answer cross-entropy ${before.sftLoss.toFixed(3)} → ${after.sftLoss.toFixed(4)} nats/token in ${result.steps} steps`);
        expect(result.completed).toBe(true);
        expect(before.sftLoss).toBeGreaterThan(3);
        expect(after.sftLoss).toBeLessThan(0.05);
    });

    it("context distillation cuts the held-out KL to the persona-prompted teacher by at least 80%", async () => {
        const modelPath = await tinyModel({arch: "qwen2", dim: 64, heads: 4, kvHeads: 2, layers: 2});
        const tokenizer = await loadChatTokenizer(modelPath);
        try {
            const train = tokenizeExamples(chatRecords(160, 11), tokenizer, {maxLen: 128, needTeacher: true}).examples;
            const heldOut = tokenizeExamples(chatRecords(16, 12), tokenizer, {maxLen: 128, needTeacher: true}).examples;
            // A random tiny model's next-token distributions are flat, so top-64 truncation alone would dominate the
            // KL; keeping every token (k = V) measures the persona's real effect.
            using trainer = await LoraTrainer.create({
                modelPath, objective: "distill", topK: await vocabSize(modelPath), rank: 32, layers: "all", lr: 2e-2, epochs: 16, batchSize: 8, dropout: 0, threads: 1
            });
            const before = (await trainer.evaluate(heldOut)).kl!;
            await trainer.train(train);
            const after = (await trainer.evaluate(heldOut)).kl!;
            console.log(`distill: held-out KL ${before.toExponential(3)} → ${after.toExponential(3)} (−${((1 - after / before) * 100).toFixed(1)}%)`);
            expect(before).toBeGreaterThan(0);
            expect(after).toBeLessThan(0.2 * before);
        } finally {
            await tokenizer.dispose();
        }
    });
});

async function vocabSize(modelPath: string): Promise<number> {
    return readModelHparams(await GgufFile.open(modelPath)).nVocab;
}
