import fs from "node:fs";
import path from "node:path";
import {getLlama} from "node-llama-cpp";
import {afterAll, describe, expect, it} from "vitest";
import {FullTrainer} from "../src/train/full-trainer.js";
import type {TrainingExample} from "../src/train/training-example.js";
import {Rng} from "../src/util/rng.js";
import {llamaCppLogProbRows} from "./helpers/logits.js";
import {tempDir, tinyModel} from "./helpers/tiny-models.js";

// Full-parameter SFT (prism's backward with every weight's gradient): the gradients against finite differences of
// the loss, for every kind of weight (token embedding, both norms of a block, each projection, the final norm, the
// output head, tied or not), with grouped-query attention, padded sequences and several micro-batches; then
// training lowers the answer loss, and llama.cpp reads the written model and computes what the trainer computes.

const dir = tempDir("full-trainer");
afterAll(() => fs.rmSync(dir, {recursive: true, force: true}));

/** Random examples over the first 200 byte tokens: prompts of 3–10 tokens, answers of 2–5. */
function examples(n: number, seed: number): TrainingExample[] {
    const rng = new Rng(seed);
    return Array.from({length: n}, (_, i) => ({
        source: `example ${i}`,
        prompt: Array.from({length: 3 + rng.int(8)}, () => 3 + rng.int(200)),
        response: Array.from({length: 2 + rng.int(4)}, () => 3 + rng.int(200))
    }));
}

const shape = {arch: "llama" as const, dtype: "f32" as const, dim: 32, heads: 4, kvHeads: 2, layers: 2, ff: 64, vocab: "byte" as const};

describe("full-parameter training", () => {
    for (const tied of [false, true])
    for (const checkpointActivations of [true, false])
    it(`gradients agree with finite differences for every kind of weight (${tied ? "tied" : "separate"} output head, checkpointing ${checkpointActivations ? "on" : "off"})`, async () => {
        const modelPath = await tinyModel({...shape, tiedEmbeddings: tied, seed: 11});
        using trainer = await FullTrainer.create({modelPath, device: "cpu", threads: 1, batchSize: 2, lr: 1e-3, checkpointActivations});
        const data = examples(5, 3); // three micro-batches of 2, 2, 1
        trainer.trainable.zeroGradients();
        const loss0 = await trainer.accumulateGradients(data);
        expect((await trainer.evaluate(data)).sftLoss).toBeCloseTo(loss0, 5);
        const names = ["token_embd.weight", "blk.0.attn_norm.weight", "blk.0.ffn_norm.weight", "blk.0.attn_q.weight", "blk.0.attn_k.weight", "blk.0.attn_v.weight",
            "blk.0.attn_output.weight", "blk.1.ffn_gate.weight", "blk.1.ffn_up.weight", "blk.1.ffn_down.weight", "output_norm.weight", ...(tied ? [] : ["output.weight"])];
        const rng = new Rng(5);
        const step = 1e-2, errors: string[] = [];
        let worst = 0;
        for (const name of names) {
            const analytic = trainer.trainable.readGrad(name);
            const values = trainer.trainable.read(name);
            const largest = Array.from(analytic.keys()).sort((x, y) => Math.abs(analytic[y]!) - Math.abs(analytic[x]!)).slice(0, 3);
            let num = 0, den = 0;
            for (const i of [...largest, rng.int(values.length)]) {
                const f = async (delta: number) => {
                    trainer.trainable.write(name, Float32Array.of(values[i]! + delta), i);
                    return (await trainer.evaluate(data)).sftLoss;
                };
                const fd = (8 * ((await f(step)) - (await f(-step))) - ((await f(2 * step)) - (await f(-2 * step)))) / (12 * step);
                trainer.trainable.write(name, Float32Array.of(values[i]!), i);
                num += (fd - analytic[i]!) ** 2;
                den += fd ** 2;
            }
            expect(den, `${name}: the loss must depend on the checked entries`).toBeGreaterThan(0);
            const rel = Math.sqrt(num / den);
            worst = Math.max(worst, rel);
            if (!(rel < 1e-2)) errors.push(`${name}: ${rel.toExponential(2)}`);
        }
        console.log(`full-parameter gradients (${tied ? "tied" : "separate"} head): largest relative error ${worst.toExponential(2)} over ${names.length} weights`);
        expect(errors).toEqual([]);
    }, 300_000);

    it("training lowers the answer loss, and llama.cpp computes the written model as the trainer does", async () => {
        const modelPath = await tinyModel({...shape, seed: 12});
        const data = examples(8, 4);
        const out = path.join(dir, "trained.gguf");
        let before: number, after: number;
        {
            using trainer = await FullTrainer.create({modelPath, device: "cpu", threads: 1, batchSize: 4, lr: 3e-3, epochs: 30, warmupRatio: 0, weightDecay: 0});
            before = (await trainer.evaluate(data)).sftLoss;
            const result = await trainer.train(data);
            expect(result.completed).toBe(true);
            expect(result.steps).toBe(60);
            after = (await trainer.evaluate(data)).sftLoss;
            await trainer.save(out);
        }
        console.log(`full-parameter SFT on 8 examples, 60 steps: answer loss ${before.toFixed(3)} → ${after.toFixed(3)}`);
        expect(after).toBeLessThan(before - 2);

        // llama.cpp's log-probabilities of the answers on the written file give the same mean loss.
        const llama = await getLlama({gpu: false});
        let nll = 0, count = 0;
        for (const e of data) {
            const rows = await llamaCppLogProbRows(llama, out, [...e.prompt, ...e.response]);
            e.response.forEach((token, i) => {
                nll -= rows[e.prompt.length + i - 1]![token]!;
                count++;
            });
        }
        expect(Math.abs(nll / count - after)).toBeLessThan(1e-3);

        // The untouched source stays as it was: the trained file differs from it.
        expect(fs.readFileSync(out).equals(fs.readFileSync(modelPath))).toBe(false);
    }, 300_000);

    it("refuses what it cannot train: an adapter file, quantised K-blocks, biases", async () => {
        const qwen = await tinyModel({arch: "qwen2", dtype: "f32", dim: 32, heads: 4, kvHeads: 2, layers: 1, ff: 64, vocab: "byte"});
        await expect(FullTrainer.create({modelPath: qwen, device: "cpu", threads: 1})).rejects.toThrow(/does not support biases/);
    }, 120_000);
});
