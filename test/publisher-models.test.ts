import fs from "node:fs";
import path from "node:path";
import {getLlama, type Llama} from "node-llama-cpp";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {writeGgufLora} from "../src/lora/gguf-lora.js";
import {describeGguf} from "../src/model/describe-gguf.js";
import {referenceForward} from "../src/model/reference-forward.js";
import {loadReferenceModel} from "../src/model/reference-model.js";
import {GgufFile} from "../src/model/gguf-file.js";
import {GgmlModel} from "../src/train/ggml-model.js";
import {LoraTrainer} from "../src/train/lora-trainer.js";
import {PartialForward} from "../src/forward/partial-forward.js";
import {Rng} from "../src/util/rng.js";
import {prismErrorOf} from "./helpers/expect-prism-error.js";
import {shardPaths, standInModel, type StandInSpec} from "./helpers/llama-cpp/stand-in-models.js";
import {expectAdapterParity, llamaCppLogProbs, logSoftmax, maxRelativeError, randomTokenExamples} from "./helpers/logits.js";
import {tempDir} from "./helpers/tiny-models.js";

// Model files as publishers ship them, written by llama.cpp's own gguf-py with real tokenizers and chat templates
// (test/helpers/llama-cpp). Parity metric as in forward-parity.test.ts: max |ours − llama.cpp| over every position
// and vocabulary entry of the log-softmax, over the largest |llama.cpp log-probability|.

/** Qwen2.5's long-context shape: YaRN ×4 from 32768 tokens, split into shards as Qwen publishes its GGUFs. */
const splitYarnQwen: StandInSpec = {
    arch: "qwen2", layers: 2, dim: 64, heads: 4, kvHeads: 2, ff: 128, vocab: "qwen2", chatTemplate: "Qwen-Qwen2.5-7B-Instruct",
    contextLength: 131072, ropeTheta: 1e6, ropeScaling: {type: "yarn", factor: 4, originalContext: 32768}, splitMaxTensors: 8, seed: 11
};
/** Llama-3.1's shape: rope_freqs, tied embeddings; linear scaling ×8 on top. */
const linearLlama: StandInSpec = {
    arch: "llama", layers: 2, dim: 64, heads: 4, kvHeads: 2, ff: 128, vocab: "llama-bpe", chatTemplate: "meta-llama-Llama-3.1-8B-Instruct",
    ropeTheta: 500000, ropeFreqs: true, tiedEmbeddings: true, ropeScaling: {type: "linear", factor: 8}, seed: 12
};

let llama: Llama;
beforeAll(async () => {
    llama = await getLlama({gpu: false, build: "never", maxThreads: 1});
});
afterAll(async () => {
    await llama.dispose();
});

async function llamaCppReference(modelPath: string, text: string, lora?: string): Promise<{tokens: number[], logProbs: Float32Array}> {
    const model = await llama.loadModel({modelPath});
    try {
        const tokens = Array.from(model.tokenize(text));
        return {tokens, logProbs: await llamaCppLogProbs(model, tokens, {lora})};
    } finally {
        await model.dispose();
    }
}

const TEXT = "The quick brown fox jumps over the lazy dog, then naps in the warm afternoon sun.";

describe("split GGUFs (…-00001-of-0000N.gguf)", () => {
    it("read as one model: every shard's tensors, the first shard's metadata; info lists each shard", async () => {
        const first = await standInModel(splitYarnQwen);
        const shards = shardPaths(first.replace(/-00001-of-\d{5}\.gguf$/, ".gguf"));
        expect(shards.length).toBeGreaterThan(1);
        const file = await GgufFile.open(first);
        expect(file.shards.map((s) => s.path)).toEqual(shards);
        expect(file.tensors.length).toBe(file.get<number>("split.tensors.count"));
        expect(file.tensor("output.weight")?.file).toBe(shards.at(-1));
        const d = await describeGguf(first);
        expect(d.shards.map((s) => s.tensorCount).reduce((a, b) => a + b, 0)).toBe(d.tensorCount);
        expect(d.fileSizeBytes).toBe(shards.reduce((a, s) => a + fs.statSync(s).size, 0));
        expect(new Set(d.tensors.map((t) => t.shard)).size).toBe(shards.length);
        expect(d.hparams?.ropeScaling).toEqual({type: "yarn", factor: 4, originalContext: 32768});
        expect(d.hparams?.trainerUnsupported).toEqual([]);
    });

    it("refuses a later shard, and a split model with a shard missing, saying which file to give", async () => {
        const first = await standInModel(splitYarnQwen);
        const shards = shardPaths(first.replace(/-00001-of-\d{5}\.gguf$/, ".gguf"));
        const second = await prismErrorOf(() => GgufFile.open(shards[1]!));
        expect(second.exitCode).toBe(3);
        expect(second.hint).toContain(path.basename(shards[0]!));
        const dir = tempDir("split-missing");
        for (const s of shards.slice(0, -1)) fs.symlinkSync(s, path.join(dir, path.basename(s)));
        const missing = await prismErrorOf(() => GgufFile.open(path.join(dir, path.basename(shards[0]!))));
        expect(missing.message).toContain(`shard ${shards.length} of ${shards.length}`);
    });

    it("partial forward loads blocks held in later shards", async () => {
        const first = await standInModel(splitYarnQwen);
        const partial = await PartialForward.load({modelPath: first, layers: 2, device: "cpu", threads: 1});
        try {
            expect(partial.modelFingerprint).toBe((await GgufFile.open(first)).fingerprint);
            expect(partial.width).toBe(64);
        } finally {
            partial.dispose();
        }
    });
});

describe("rope scaling as llama.cpp applies it", () => {
    for (const [label, spec] of [["qwen2 YaRN ×4, split in shards", splitYarnQwen], ["llama linear ×8 with rope_freqs, tied embeddings", linearLlama]] as const)
        it(`${label}: forward parity with llama.cpp < 1e-4`, async () => {
            const modelPath = await standInModel(spec);
            const {tokens, logProbs} = await llamaCppReference(modelPath, TEXT);
            using ours = await GgmlModel.load({modelPath, device: "cpu", threads: 1});
            const [logits] = await ours.logits([tokens]);
            const err = maxRelativeError(logSoftmax(logits!, ours.hparams.nVocab), logProbs);
            console.log(`${label}: max relative error ${err.toExponential(2)} over ${tokens.length} positions`);
            expect(err).toBeLessThan(1e-4);
        });

    for (const [label, spec] of [["qwen2 YaRN ×4", splitYarnQwen], ["llama linear ×8 with rope_freqs", linearLlama]] as const)
        it(`${label}: the naive float64 reference forward (ggml's rope_yarn written out) agrees with llama.cpp < 1e-4`, async () => {
            const modelPath = await standInModel(spec);
            const {tokens, logProbs} = await llamaCppReference(modelPath, TEXT);
            const {logits} = referenceForward(loadReferenceModel(await GgufFile.open(modelPath)), tokens);
            const V = logits[0]!.length;
            const flat = new Float32Array(tokens.length * V);
            logits.forEach((row, i) => flat.set(row, i * V));
            const err = maxRelativeError(logSoftmax(flat, V), logProbs);
            console.log(`${label}: reference forward, max relative error ${err.toExponential(2)}`);
            expect(err).toBeLessThan(1e-4);
        });

    it("qwen2 YaRN split: an adapter trained on it gives llama.cpp the log-probabilities our graph gives", async () => {
        const modelPath = await standInModel(splitYarnQwen);
        const rng = new Rng(5);
        const examples = randomTokenExamples(rng);
        const adapterPath = path.join(tempDir("yarn-adapter"), "adapter.gguf");
        let ours: Float32Array, tokens: number[];
        {
            using trainer = await LoraTrainer.create({modelPath, objective: "sft", rank: 4, alpha: 8, layers: "all", lr: 2e-2, epochs: 2, batchSize: 2, threads: 1});
            const result = await trainer.train(examples);
            expect(result.losses.every(Number.isFinite)).toBe(true);
            const adapter = trainer.adapter();
            await writeGgufLora(adapterPath, adapter, {type: "f32"}); // exact values: compared with our F32 graph
            tokens = Array.from({length: 16}, () => rng.int(5000));
            ours = logSoftmax((await trainer.model.logits([tokens], {lora: adapter}))[0]!, trainer.model.hparams.nVocab);
        }
        await expectAdapterParity("qwen2 YaRN split + adapter", llama, modelPath, tokens, adapterPath, ours);
    });

    it("refuses a rope scaling type the trainer does not implement (longrope), naming it; info says so too", async () => {
        const modelPath = await standInModel({arch: "llama", layers: 1, dim: 64, heads: 4, kvHeads: 4, ff: 128, vocab: "llama-spm", ropeScaling: {type: "longrope", factor: 4}, seed: 13});
        const err = await prismErrorOf(() => GgmlModel.load({modelPath, device: "cpu", threads: 1}));
        expect(err.exitCode).toBe(3);
        expect(err.message).toContain(`rope scaling type "longrope"`);
        expect((await describeGguf(modelPath)).hparams?.trainerUnsupported.join(" ")).toContain("longrope");
    });
});
