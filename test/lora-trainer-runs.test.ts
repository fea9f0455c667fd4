import fs from "node:fs";
import path from "node:path";
import {beforeAll, describe, expect, it} from "vitest";
import {GgufFile} from "../src/model/gguf-file.js";
import {readModelHparams} from "../src/model/model-hparams.js";
import {GgmlModel} from "../src/train/ggml-model.js";
import {loadChatTokenizer} from "../src/engine/load-chat-tokenizer.js";
import {CHECKPOINT_FILE, LoraTrainer, type LoraTrainerOptions} from "../src/train/lora-trainer.js";
import {tokenizeExamples, type SourcedRecord, type TrainingExample} from "../src/train/training-example.js";
import {chatRecords} from "./helpers/chat-records.js";
import {tempDir, tinyModel} from "./helpers/tiny-models.js";

let modelPath: string;
let examples: TrainingExample[];
let tokenizeWith: (records: SourcedRecord[], maxLen?: number) => TrainingExample[];
beforeAll(async () => {
    modelPath = await tinyModel({arch: "qwen2", dim: 64, heads: 4, kvHeads: 2, layers: 3});
    const tokenizer = await loadChatTokenizer(modelPath);
    tokenizeWith = (records, maxLen = 96) => tokenizeExamples(records, tokenizer, {maxLen, needTeacher: true}).examples;
    examples = tokenizeWith(chatRecords(6, 21));
    return () => tokenizer.dispose();
});

const base = (): LoraTrainerOptions => ({
    modelPath, objective: "mix", rank: 4, epochs: 3, batchSize: 2, gradAccum: 2, dropout: 0.1, lr: 5e-3, topK: 16, checkpointEvery: 100, threads: 1
});

describe("the teacher sees the persona", () => {
    it("its logits differ from the student's, and the initial KL is zero only when the persona is blanked", async () => {
        const V = readModelHparams(await GgufFile.open(modelPath)).nVocab;
        const persona = examples[0]!;
        expect(persona.teacherPrompt!.length).toBeGreaterThan(persona.prompt.length);
        {
            using model = await GgmlModel.load({modelPath, device: "cpu", threads: 1});
            const answerPositions = (promptLength: number) => persona.response.map((_, i) => promptLength + i - 1);
            const [teacher, student] = await Promise.all([
                model.logits([[...persona.teacherPrompt!, ...persona.response]], {positions: [answerPositions(persona.teacherPrompt!.length)]}),
                model.logits([[...persona.prompt, ...persona.response]], {positions: [answerPositions(persona.prompt.length)]})
            ]);
            const diff = teacher[0]!.reduce((m, v, i) => Math.max(m, Math.abs(v - student[0]![i]!)), 0);
            expect(diff).toBeGreaterThan(1e-2);
        }
        // With every token kept (k = V) the KL is exact: a fresh adapter (B = 0) is the base model, so it matches a
        // teacher without the persona perfectly, and a teacher with the persona not at all.
        using trainer = await LoraTrainer.create({modelPath, objective: "distill", topK: V, rank: 4, threads: 1});
        const withPersona = (await trainer.evaluate(examples)).kl!;
        const blanked = (await trainer.evaluate(examples.map((e) => ({...e, teacherPrompt: e.prompt})))).kl!;
        console.log(`initial KL: ${withPersona.toExponential(3)} with the persona, ${blanked.toExponential(3)} with it blanked`);
        expect(withPersona).toBeGreaterThan(1e-3);
        expect(Math.abs(blanked)).toBeLessThan(1e-5);
    });
});

describe("checkpoints", () => {
    it("an interrupted run resumed from its checkpoint ends exactly where an uninterrupted one does", async () => {
        const whole = tempDir("train-whole"), parts = tempDir("train-parts");
        using a = await LoraTrainer.create(base());
        const full = await a.train(examples, {checkpointDir: whole});
        expect(full.completed).toBe(true);

        const controller = new AbortController();
        {
            using b = await LoraTrainer.create(base());
            const first = await b.train(examples, {checkpointDir: parts, signal: controller.signal, onProgress: (p) => p.phase === "train" && p.step === 2 && controller.abort()});
            expect(first).toMatchObject({completed: false, steps: 2});
            expect(fs.existsSync(path.join(parts, CHECKPOINT_FILE))).toBe(true);
        }
        using c = await LoraTrainer.create(base());
        const rest = await c.train(examples, {checkpointDir: parts, resume: true});
        expect(rest.completed).toBe(true);
        expect(rest.losses).toEqual(full.losses.slice(2));
        const x = a.adapter(), y = c.adapter();
        x.modules.forEach((m, i) => {
            expect(Array.from(y.modules[i]!.a)).toEqual(Array.from(m.a));
            expect(Array.from(y.modules[i]!.b)).toEqual(Array.from(m.b));
        });
    });

    it("with evaluation every step, a resumed run has the uninterrupted run's held-out curve and keeps the same best adapter", async () => {
        const heldOut = tokenizeWith(chatRecords(4, 77), 192);
        const options = (): LoraTrainerOptions => ({...base(), objective: "sft", lr: 5e-2, epochs: 4, evalEvery: 1});
        const whole = tempDir("train-eval-whole"), parts = tempDir("train-eval-parts");
        using a = await LoraTrainer.create(options());
        const full = await a.train(examples, {checkpointDir: whole, heldOut});
        const curve = full.heldOut!.curve;
        console.log(`held-out curve: ${curve.map((p) => `${p.step}:${p.loss.toFixed(3)}`).join(" ")}, best at ${full.heldOut!.best!.step}`);
        expect(curve.map((p) => p.step)).toEqual(Array.from({length: full.totalSteps + 1}, (_, i) => i));
        // Stop after a step that is not the best so far when there is one (the best then comes from best-checkpoint.gguf).
        const bestBefore = (k: number) => curve.slice(1, k + 1).reduce((x, y) => (y.loss < x.loss ? y : x)).step;
        const stopAt = Array.from({length: full.totalSteps - 2}, (_, i) => i + 2).find((k) => bestBefore(k) < k) ?? 2;
        const controller = new AbortController();
        {
            using b = await LoraTrainer.create(options());
            const first = await b.train(examples, {checkpointDir: parts, heldOut, signal: controller.signal, onProgress: (p) => p.phase === "train" && p.step === stopAt && controller.abort()});
            expect(first).toMatchObject({completed: false, steps: stopAt});
        }
        using c = await LoraTrainer.create(options());
        const rest = await c.train(examples, {checkpointDir: parts, heldOut, resume: true});
        expect(rest.heldOut).toEqual(full.heldOut);
        const x = a.adapter(), y = c.adapter();
        x.modules.forEach((m, i) => {
            expect(Array.from(y.modules[i]!.a)).toEqual(Array.from(m.a));
            expect(Array.from(y.modules[i]!.b)).toEqual(Array.from(m.b));
        });
        await expect(c.train(examples, {checkpointDir: parts, heldOut: heldOut.slice(1), resume: true})).rejects.toThrow(/evaluated on a different held-out set/);
    });

    it("refuses to overwrite a run, or to resume one made with another model, other settings or other data", async () => {
        const dir = tempDir("train-refuse");
        {
            using t = await LoraTrainer.create({...base(), epochs: 1});
            await t.train(examples, {checkpointDir: dir});
        }
        const before = fs.readFileSync(path.join(dir, CHECKPOINT_FILE));
        {
            using t = await LoraTrainer.create({...base(), epochs: 1});
            await expect(t.train(examples, {checkpointDir: dir})).rejects.toThrow(/already holds a training run/);
            await expect(t.train(examples.slice(1), {checkpointDir: dir, resume: true})).rejects.toThrow(/different data/);
        }
        {
            using t = await LoraTrainer.create({...base(), epochs: 1, rank: 8});
            await expect(t.train(examples, {checkpointDir: dir, resume: true})).rejects.toThrow(/different settings \(rank: 4\)/);
        }
        {
            const other = await tinyModel({arch: "qwen2", dim: 64, heads: 4, kvHeads: 2, layers: 3, seed: 2});
            using t = await LoraTrainer.create({...base(), epochs: 1, modelPath: other});
            await expect(t.train(examples, {checkpointDir: dir, resume: true})).rejects.toThrow(/different base model/);
        }
        expect(fs.readFileSync(path.join(dir, CHECKPOINT_FILE)).equals(before)).toBe(true);
    });
});

describe("bad input", () => {
    it("refuses a rank larger than a projection and token ids outside the vocabulary", async () => {
        await expect(LoraTrainer.create({...base(), rank: 65})).rejects.toThrow(/--rank 65 is larger than the q projection's dimensions \(64×64\)/);
        using t = await LoraTrainer.create(base());
        await expect(t.train([{source: "data.jsonl:3", prompt: [1, 2], response: [999999]}])).rejects.toThrow(/data.jsonl:3: token id 999999 is outside/);
    });
});
