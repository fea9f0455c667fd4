import fs from "node:fs";
import path from "node:path";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {getLlama} from "node-llama-cpp";
import {LlamaEngine} from "../src/engine/llama-engine.js";
import {loadChatTokenizer} from "../src/engine/load-chat-tokenizer.js";
import {GgufFile} from "../src/model/gguf-file.js";
import {GgmlType} from "../src/model/ggml-type.js";
import {buildWorldModel, defaultWorldBuildConfig, recordPathFor, type WorldBuildRecord} from "../src/world/build-world-model.js";
import {generateWorldTasks} from "../src/world/generate-tasks.js";
import {measureWorldModel} from "../src/world/measure-world-model.js";
import {isPlantedRight} from "../src/world/planted-effects.js";
import {renderWorldCorpus} from "../src/world/render-corpus.js";
import {llamaCppLogProbs} from "./helpers/logits.js";
import {runCli} from "./helpers/run-cli.js";
import {tempDir} from "./helpers/tiny-models.js";

// `prism world build` end to end on a very small world, with the CLI's defaults for what it has no flag for (the full build uses all defaults).
const tmp = tempDir("world-build");
const small = {perDomain: 2, merges: 200, dim: 32, layers: 1, heads: 2, kvHeads: 1, context: 512, epochs: 1, lr: 3e-3, sftEpochs: 2, sftRank: 8, sftLr: 1e-2};
const cliFlags = ["--per-domain", "2", "--merges", "200", "--dim", "32", "--layers", "1", "--heads", "2", "--kv-heads", "1", "--context", "512", "--epochs", "1", "--lr", "0.003",
    "--sft-epochs", "2", "--sft-rank", "8", "--sft-lr", "0.01"];
let out: string, stage1Out: string, record: WorldBuildRecord, stage1Record: WorldBuildRecord;
beforeAll(async () => {
    out = path.join(tmp, "world.gguf");
    record = await buildWorldModel({out, ...small, command: "test"});
    // The same build without stage 2: stage 1 is seeded, so this is the model stage 2 started from.
    stage1Out = path.join(tmp, "stage1.gguf");
    stage1Record = await buildWorldModel({out: stage1Out, ...small, sftEpochs: 0, command: "test"});
}, 300_000);
afterAll(() => fs.rmSync(tmp, {recursive: true, force: true}));

describe("prism world build", () => {
    it("trains every parameter: the held-out loss falls far from its random start, and the record says what was built", () => {
        const [first, last] = [record.evals[0]!, record.evals.at(-1)!];
        expect(first.epoch).toBe(0);
        expect(last.loss, JSON.stringify(record.evals)).toBeLessThan(first.loss - 2);
        expect(record.finalTrainLoss).toBeLessThan(record.firstLoss - 2);
        const chunk = Math.min(defaultWorldBuildConfig.chunkWindows, record.corpus.windows);
        expect(record.steps).toBe(Math.max(1, Math.round(record.corpus.windows / chunk)) * chunk);
        expect(record.corpusSha256).toMatch(/^[0-9a-f]{64}$/);
        expect(JSON.parse(fs.readFileSync(recordPathFor(out), "utf8"))).toEqual(record);
    });

    it("stage 2 trains the replies: its record, and a lower held-out reply loss in llama.cpp on the written model than on stage 1's", async () => {
        expect(stage1Record.sft).toBeNull();
        expect(stage1Record.evals).toEqual(record.evals);
        const sft = record.sft!;
        expect(sft.episodes + sft.dropped).toBe(record.corpus.episodes);
        expect(sft.steps).toBe(small.sftEpochs * Math.ceil(sft.episodes / defaultWorldBuildConfig.sftBatch));
        // Every weight of the model (llama.cpp's count) is trained.
        expect(sft.mode).toBe("full");
        expect(sft.trainableParameters).toBe(record.model.parameters);
        expect(sft.finalLoss).toBeLessThan(sft.firstLoss);
        expect(sft.heldOut.after, JSON.stringify(sft)).toBeLessThan(sft.heldOut.before - 0.3);
        // Measured again outside the trainer, on the files as written (Q8_0, the adapter merged): llama.cpp's own
        // log-probabilities of held-out replies after prompts formatted by the chat template.
        const seed = 1_000_001;
        const episodes = renderWorldCorpus(generateWorldTasks({seed, perDomain: 1}), {seed}).filter((_, i) => i % 8 === 0);
        const tokenizer = await loadChatTokenizer(out);
        const exchanges = episodes.map((e) => tokenizer.formatExchange(e.messages.slice(0, -1), e.messages.at(-1)!.content))
            .filter((x) => x.promptTokens.length + x.responseTokens.length <= small.context);
        await tokenizer.dispose();
        expect(exchanges.length).toBeGreaterThan(10);
        const llama = await getLlama({gpu: false, build: "never", maxThreads: 1});
        const replyLoss = async (modelPath: string) => {
            const model = await llama.loadModel({modelPath});
            let nll = 0, n = 0;
            try {
                for (const {promptTokens, responseTokens} of exchanges) {
                    const tokens = [...promptTokens, ...responseTokens];
                    const logp = await llamaCppLogProbs(model, tokens);
                    const V = logp.length / tokens.length;
                    for (let i = promptTokens.length; i < tokens.length; i++) nll -= logp[(i - 1) * V + tokens[i]!]!;
                    n += responseTokens.length;
                }
            } finally {
                await model.dispose();
            }
            return nll / n;
        };
        const [before, after] = [await replyLoss(stage1Out), await replyLoss(out)];
        console.log(`held-out reply loss in llama.cpp, ${exchanges.length} episodes: stage 1 ${before.toFixed(3)}, after stage 2 ${after.toFixed(3)} (trainer: ${sft.heldOut.before} → ${sft.heldOut.after})`);
        expect(after).toBeLessThan(before - 0.3);
    }, 120_000);

    it("stage 2 as a LoRA merged in (--sft-mode lora) trains the replies too, with the adapter's parameters only", async () => {
        const lora = await buildWorldModel({out: path.join(tmp, "lora.gguf"), ...small, sftMode: "lora", sftEpochs: 1, command: "test"});
        const sft = lora.sft!;
        expect(sft.mode).toBe("lora");
        expect(sft.trainableParameters).toBe(small.layers * small.sftRank * (2 * (32 + 32) + 2 * (32 + 16) + 3 * (32 + lora.model.ff)));
        expect(sft.heldOut.after, JSON.stringify(sft)).toBeLessThan(sft.heldOut.before - 0.3);
    }, 240_000);

    it("writes a ChatML model with the corpus's BPE vocabulary and Q8_0 matrices, which prism's engine loads and runs", async () => {
        const file = await GgufFile.open(out);
        expect(file.get<string>("tokenizer.chat_template")).toContain("<|im_start|>");
        expect(file.get<string>("general.name")).toBe("prism-world-L1-D32-s1");
        expect(file.get<string[]>("tokenizer.ggml.tokens")!.length).toBe(record.model.vocab);
        expect(file.requireTensor("blk.0.ffn_up.weight").type).toBe(GgmlType.Q8_0);
        expect(file.requireTensor("blk.0.attn_norm.weight").type).toBe(GgmlType.F32);
        // The long persona prompts outgrow the small model's 512-token window in its 200-merge vocabulary.
        await using engine = await LlamaEngine.load({model: out, gpu: false, threads: 1, contextSize: 1024});
        const tasks = generateWorldTasks({seed: 99, perDomain: 1, domains: ["math", "safety monitor"]});
        const m = await measureWorldModel(engine, tasks, {maxTokens: 16});
        expect(m.domains.map((d) => d.domain)).toEqual(["math", "safety monitor"]);
        for (const [d, t] of m.domains.map((d, i) => [d, tasks[i]!] as const)) {
            expect(d.tasks).toBe(1);
            expect(d.plantedBase).toBe(isPlantedRight(t.domain, t.tier, "base") ? 1 : 0);
            expect([0, 1]).toContain(d.base);
        }
        for (const [k, v] of Object.entries(m.parse)) {
            expect(v, k).toBeGreaterThanOrEqual(0);
            expect(v, k).toBeLessThanOrEqual(1);
        }
    }, 240_000);

    it("the CLI with the same settings writes the same file, byte for byte (seeded and reproducible)", async () => {
        const again = path.join(tmp, "again.gguf");
        const r = await runCli(["world", "build", "--out", again, ...cliFlags, "--quiet"], {timeoutMs: 280_000});
        expect(r.stderr).toBe("");
        expect(r.code).toBe(0);
        expect(r.stdout).toMatch(/wrote .*again\.gguf .* parameters, vocabulary \d+\) and .*again\.json: \d+ steps, loss/);
        expect(fs.readFileSync(again).equals(fs.readFileSync(out))).toBe(true);
    }, 300_000);

    it("an interruption during stage 2 writes nothing", async () => {
        const stopped = path.join(tmp, "stopped.gguf"), abort = new AbortController();
        let sftSteps = 0;
        const build = buildWorldModel({out: stopped, ...small, signal: abort.signal, onProgress: (p) => {
            if (p.stage === "sft" && ++sftSteps === 3) abort.abort();
        }});
        await expect(build).rejects.toMatchObject({kind: "interrupted"});
        expect(sftSteps).toBe(3);
        expect(fs.existsSync(stopped)).toBe(false);
        expect(fs.existsSync(recordPathFor(stopped))).toBe(false);
    }, 120_000);

    it("refuses a bad setting with the field's name (exit 2)", async () => {
        const r = await runCli(["world", "build", "--out", path.join(tmp, "bad.gguf"), "--dim", "48"]);
        expect(r.code).toBe(2);
        expect(r.stderr).toMatch(/dim to be a multiple of 32/);
        const rank = await runCli(["world", "build", "--out", path.join(tmp, "bad.gguf"), "--dim", "32", "--heads", "2", "--kv-heads", "1", "--sft-mode", "lora", "--sft-rank", "32"]);
        expect(rank.code).toBe(2);
        expect(rank.stderr).toMatch(/sftRank 32 is larger than the narrowest projection \(16 wide/);
        const epochs = await runCli(["world", "build", "--out", path.join(tmp, "bad.gguf"), "--sft-epochs", "1.5"]);
        expect(epochs.code).toBe(2);
        expect(epochs.stderr).toMatch(/sftEpochs must be a whole number/);
    });
});
