import path from "node:path";
import {getLlama, type Llama} from "node-llama-cpp";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {readGgufLora, writeGgufLora} from "../src/lora/gguf-lora.js";
import {writePeftAdapter} from "../src/lora/peft-adapter.js";
import {readAdapterBase} from "../src/lora/adapter-base.js";
import {validateAdapter} from "../src/lora/validate-adapter.js";
import {describeGguf} from "../src/model/describe-gguf.js";
import {GgufFile} from "../src/model/gguf-file.js";
import {GgmlModel} from "../src/train/ggml-model.js";
import {LoraTrainer} from "../src/train/lora-trainer.js";
import {estimateMemoryPlan} from "../src/train/memory-plan.js";
import {resolveTrainConfig} from "../src/train/train-config.js";
import {PartialForward} from "../src/forward/partial-forward.js";
import {Rng} from "../src/util/rng.js";
import {standInModel, type StandInSpec} from "./helpers/llama-cpp/stand-in-models.js";
import type {LlamaCppQuant} from "./helpers/llama-cpp/llama-quantize.js";
import {expectAdapterParity, llamaCppLogProbs, logSoftmax, maxRelativeError, randomTokenExamples} from "./helpers/logits.js";
import {tempDir} from "./helpers/tiny-models.js";

// Qwen1.5-MoE's shape (qwen2moe), tiny: 2 blocks, 4 routed experts of which 2 per token, a shared expert behind its
// sigmoid gate, Qwen's tokenizer and template, written by llama.cpp's gguf-py and quantised by libllama. Parity
// metric as in forward-parity.test.ts: max |ours − llama.cpp| of the log-softmax over the largest |llama.cpp|.
const moeSpec: StandInSpec = {
    arch: "qwen2moe", layers: 2, dim: 64, heads: 4, kvHeads: 2, ff: 128, vocab: "qwen2", chatTemplate: "Qwen-Qwen2.5-7B-Instruct",
    ropeTheta: 1e6, moe: {experts: 4, used: 2, ff: 32, sharedFf: 64}, seed: 41
};
const TEXT = "The quick brown fox jumps over the lazy dog, then naps in the warm afternoon sun.";

let llama: Llama;
beforeAll(async () => {
    llama = await getLlama({gpu: false, build: "never", maxThreads: 1});
});
afterAll(async () => {
    await llama.dispose();
});

describe("qwen2moe (Qwen1.5-MoE) in the trainer and the gate", () => {
    for (const [quant, tolerance] of [[undefined, 1e-4], ["q8_0", 1e-3]] as [LlamaCppQuant | undefined, number][])
        it(`${quant ?? "f32"}: forward parity with llama.cpp < ${tolerance}`, async () => {
            const modelPath = await standInModel({...moeSpec, quant});
            const model = await llama.loadModel({modelPath});
            let tokens: number[], reference: Float32Array;
            try {
                tokens = Array.from(model.tokenize(TEXT));
                reference = await llamaCppLogProbs(model, tokens);
            } finally {
                await model.dispose();
            }
            using ours = await GgmlModel.load({modelPath, device: "cpu", threads: 1});
            expect(ours.hparams.moe).toEqual({nExpert: 4, nExpertUsed: 2, nFfExp: 32, weightsScale: 0});
            const [logits] = await ours.logits([tokens]);
            const err = maxRelativeError(logSoftmax(logits!, ours.hparams.nVocab), reference);
            console.log(`parity qwen2moe ${quant ?? "f32"}: max relative error ${err.toExponential(2)} over ${tokens.length} positions`);
            expect(err).toBeLessThan(tolerance);
        }, 300_000);

    it("trains attention and shared-expert LoRA that lowers the loss; llama.cpp loads the adapter and gives our graph's log-probabilities", async () => {
        const modelPath = await standInModel(moeSpec);
        expect((await describeGguf(modelPath)).hparams?.trainerUnsupported).toEqual([]);
        const rng = new Rng(5);
        const examples = randomTokenExamples(rng);
        const adapterPath = path.join(tempDir("moe-adapter"), "adapter.gguf");
        let ours: Float32Array, tokens: number[];
        {
            using trainer = await LoraTrainer.create({modelPath, objective: "sft", rank: 4, alpha: 8, layers: "all", lr: 2e-2, epochs: 6, batchSize: 4, threads: 1});
            const {losses} = await trainer.train(examples);
            console.log(`qwen2moe SFT losses: ${losses.map((l) => l.toFixed(3)).join(" ")}`);
            expect(losses.every(Number.isFinite)).toBe(true);
            expect(losses.at(-1)!).toBeLessThan(losses[0]! * 0.9);
            const adapter = trainer.adapter();
            await writeGgufLora(adapterPath, adapter, {type: "f32"}); // exact values: compared with our F32 graph
            tokens = Array.from({length: 16}, () => rng.int(5000));
            ours = logSoftmax((await trainer.model.logits([tokens], {lora: adapter}))[0]!, trainer.model.hparams.nVocab);
        }
        // The shared expert's projections are adapted under llama.cpp's names; the routed experts are not.
        const names = (await GgufFile.open(adapterPath)).tensors.map((t) => t.name);
        expect(names).toContain("blk.1.ffn_gate_shexp.weight.lora_a");
        expect(names).toContain("blk.1.attn_q.weight.lora_b");
        expect(names.some((n) => n.includes("_exps"))).toBe(false);
        expect((await readGgufLora(adapterPath)).modules.filter((m) => m.layer === 1).map((m) => m.target)).toEqual(["q", "k", "v", "o", "gate", "up", "down"]);
        await expectAdapterParity("qwen2moe + adapter", llama, modelPath, tokens, adapterPath, ours);
    }, 600_000);

    it("trains LoRA on the routed experts alone (gate_exps, up_exps, down_exps); llama.cpp loads the 3-D adapter and gives our graph's log-probabilities", async () => {
        const modelPath = await standInModel(moeSpec);
        const rng = new Rng(6);
        const examples = randomTokenExamples(rng);
        const adapterPath = path.join(tempDir("moe-experts-adapter"), "adapter.gguf");
        let ours: Float32Array, tokens: number[];
        {
            using trainer = await LoraTrainer.create({modelPath, objective: "sft", rank: 4, alpha: 8, layers: "all", targets: ["gate_exps", "up_exps", "down_exps"], lr: 2e-2, epochs: 6, batchSize: 4, threads: 1});
            // 2 blocks × 3 tensors × 4 experts × r (C_in + C_out) = 2 · 3 · 4 · 4 · (64 + 32); the memory plan counts the same.
            expect(trainer.trainableParameters).toBe(9216);
            const plan = estimateMemoryPlan(await GgufFile.open(modelPath), {train: resolveTrainConfig({rank: 4, layers: "all", targets: ["gate_exps", "up_exps", "down_exps"]}), examples: 4, trainDevice: "cpu"});
            expect(plan.trainableParameters).toBe(9216);
            const {losses} = await trainer.train(examples);
            console.log(`qwen2moe expert-LoRA SFT losses: ${losses.map((l) => l.toFixed(3)).join(" ")}`);
            expect(losses.every(Number.isFinite)).toBe(true);
            expect(losses.at(-1)!).toBeLessThan(losses[0]! * 0.9);
            const adapter = trainer.adapter();
            await writeGgufLora(adapterPath, adapter, {type: "f32"});
            // PEFT has no layout here for the 3-D expert pairs: the export says so rather than writing something else.
            await expect(writePeftAdapter(tempDir("moe-experts-peft"), adapter)).rejects.toThrow(/routed experts \(gate_exps, up_exps, down_exps\)/);
            tokens = Array.from({length: 16}, () => rng.int(5000));
            ours = logSoftmax((await trainer.model.logits([tokens], {lora: adapter}))[0]!, trainer.model.hparams.nVocab);
        }
        // The shapes build_lora_mm_id multiplies with mul_mat_id: lora_a ne [C_in, r, E], lora_b ne [r, C_out, E].
        const shapes = Object.fromEntries((await GgufFile.open(adapterPath)).tensors.map((t) => [t.name, t.shape]));
        expect(Object.keys(shapes)).toHaveLength(2 * 3 * 2);
        expect(shapes["blk.1.ffn_gate_exps.weight.lora_a"]).toEqual([64, 4, 4]);
        expect(shapes["blk.1.ffn_gate_exps.weight.lora_b"]).toEqual([4, 32, 4]);
        expect(shapes["blk.0.ffn_down_exps.weight.lora_a"]).toEqual([32, 4, 4]);
        expect(shapes["blk.0.ffn_down_exps.weight.lora_b"]).toEqual([4, 64, 4]);
        const read = await readGgufLora(adapterPath);
        expect(read.modules.filter((m) => m.layer === 1).map((m) => [m.target, m.nExpert])).toEqual([["gate_exps", 4], ["up_exps", 4], ["down_exps", 4]]);
        // prism's own check of an adapter against its base (serve, generate) takes the 3-D pairs and names a misfit.
        const base = await readAdapterBase(modelPath);
        expect(validateAdapter(read, base)).toEqual({warnings: []});
        const halve = (t: Float32Array) => t.subarray(0, t.length / 2);
        const fewer = {...read, modules: read.modules.map((m) => ({...m, nExpert: 2, a: halve(m.a), b: halve(m.b)}))};
        expect(() => validateAdapter(fewer, base)).toThrow(/blk\.0\.ffn_gate_exps\.weight\.lora_a\/lora_b: the adapter maps 64 → 32 for 2 experts but the base model's ffn_gate_exps maps 64 → 32 for 4 experts/);
        await expectAdapterParity("qwen2moe + expert adapter", llama, modelPath, tokens, adapterPath, ours);
    }, 600_000);

    it("the gate's partial forward runs it: one prompt alone or in a batch gives the same state, and block 2 changes it", async () => {
        const modelPath = await standInModel(moeSpec);
        using partial = await PartialForward.load({modelPath, layers: 2, device: "cpu", threads: 1});
        const prompts = [[11, 22, 33, 44, 55], [7, 8, 9]];
        const [alone] = await partial.hiddenStates([prompts[0]!]);
        const [batched] = await partial.hiddenStates(prompts);
        const afterOne = await partial.hiddenState(prompts[0]!, {layers: 1});
        expect(alone!.length).toBe(64);
        expect(alone!.every(Number.isFinite)).toBe(true);
        expect(Math.max(...alone!.map((v, i) => Math.abs(v - batched![i]!)))).toBeLessThan(1e-5);
        expect(Math.max(...alone!.map((v, i) => Math.abs(v - afterOne[i]!)))).toBeGreaterThan(1e-3);
    }, 300_000);
});
