import {spawn} from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import {beforeAll, describe, expect, it} from "vitest";
import {readGgufLora} from "../src/lora/gguf-lora.js";
import {readPeftAdapter} from "../src/lora/peft-adapter.js";
import {readCheckpoint, type LoadedCheckpoint} from "../src/train/checkpoint.js";
import {CLI_PATH, runCli} from "./helpers/run-cli.js";
import {chatRecords} from "./helpers/chat-records.js";
import {tempDir, tinyModel} from "./helpers/tiny-models.js";

let model: string;
let otherModel: string;
let dir: string;
let data: string;
beforeAll(async () => {
    model = await tinyModel({arch: "qwen2", dim: 64, heads: 4, kvHeads: 2, layers: 2});
    otherModel = await tinyModel({arch: "qwen2", dim: 64, heads: 4, kvHeads: 2, layers: 2, seed: 9});
    dir = tempDir("train-cli");
    data = writeJsonl("data.jsonl", chatRecords(6, 31).map((r) => r.record));
});

function writeJsonl(name: string, records: unknown[]): string {
    const file = path.join(dir, name);
    fs.writeFileSync(file, records.map((r) => JSON.stringify(r)).join("\n") + "\n");
    return file;
}

const quick = ["--rank", "4", "--epochs", "1", "--batch", "2", "--threads", "1", "--top-k", "16"];

describe("prism train", () => {
    it("trains, writes a GGUF adapter for the base model and a summary, and prints one JSON object", async () => {
        const out = path.join(dir, "ok");
        const r = await runCli(["train", "--model", model, "--data", data, "--out", out, ...quick, "--json"]);
        expect(r.code, r.stderr).toBe(0);
        const result = JSON.parse(r.stdout) as {completed: boolean, steps: number, adapterPath: string, peftPath: string, baseModelFingerprint: string};
        expect(result).toMatchObject({completed: true, steps: 3});
        expect(r.stderr).toMatch(/trainable parameters\s+4,480 in 7 projections, blocks 1/);
        const adapter = await readGgufLora(result.adapterPath);
        expect(adapter).toMatchObject({arch: "qwen2", rank: 4, alpha: 32, baseModelFingerprint: result.baseModelFingerprint});
        expect(adapter.modules.map((m) => m.layer)).toEqual(Array(7).fill(1));
        // The PEFT export re-imports to the same matrices, bit for bit, with PEFT's names for the hyper-parameters.
        const peft = await readPeftAdapter(result.peftPath);
        expect(peft.config).toMatchObject({rank: 4, alpha: 32, dropout: 0.05});
        expect(peft.lora.modules.map((m) => [Array.from(m.a), Array.from(m.b)])).toEqual(adapter.modules.map((m) => [Array.from(m.a), Array.from(m.b)]));
        const peftConfig = JSON.parse(fs.readFileSync(path.join(result.peftPath, "adapter_config.json"), "utf8")) as Record<string, unknown>;
        expect(peftConfig).toMatchObject({peft_type: "LORA", r: 4, lora_alpha: 32, layers_to_transform: [1]});
        expect(JSON.parse(fs.readFileSync(path.join(out, "train-summary.json"), "utf8")).config).toMatchObject({objective: "distill", rank: 4});
    });

    it("stops cleanly on Ctrl-C with a checkpoint (exit 130), and --resume finishes the run", async () => {
        const out = path.join(dir, "interrupted");
        const args = ["train", "--model", model, "--data", data, "--out", out, "--rank", "4", "--epochs", "100", "--batch", "2", "--threads", "1", "--objective", "sft"];
        const interrupted = await new Promise<{code: number | null, stderr: string}>((resolve) => {
            const child = spawn(process.execPath, [CLI_PATH, ...args], {stdio: ["ignore", "pipe", "pipe"]});
            let stderr = "";
            child.stderr.on("data", (d) => {
                stderr += d;
                if (/train: [1-9]/.test(stderr) && !child.killed) child.kill("SIGINT");
            });
            child.on("close", (code) => resolve({code, stderr}));
        });
        expect(interrupted.code, interrupted.stderr).toBe(130);
        expect(interrupted.stderr).toMatch(/stopped at step \d+ of 300; checkpoint in/);
        expect(interrupted.stderr).toContain("--resume");
        expect(fs.existsSync(path.join(out, "checkpoint.gguf"))).toBe(true);
        expect(fs.existsSync(path.join(out, "adapter.gguf"))).toBe(false);
        const resumed = await runCli([...args, "--resume", "--json"], {timeoutMs: 300_000});
        expect(resumed.code, resumed.stderr).toBe(0);
        expect(resumed.stderr).toMatch(/resuming at \d+/);
        expect(JSON.parse(resumed.stdout)).toMatchObject({completed: true, steps: 300});
    }, 300_000);

    it("--eval-every writes the held-out curve and keeps the adapter of the lowest held-out loss, not the last", async () => {
        // Held-out chats unlike the training ones (other sentences) and a high learning rate: as the adapter memorises
        // the training answers, the held-out loss rises, so the best adapter comes before the last step.
        const heldOut = writeJsonl("held-out.jsonl", chatRecords(4, 77).map((r) => r.record));
        const out = path.join(dir, "eval-every");
        const args = ["--model", model, "--data", data, "--objective", "sft", "--lr", "5e-2", "--epochs", "6", "--batch", "2", "--rank", "4", "--threads", "1", "--adapter-dtype", "f32", "--json"];
        const r = await runCli(["train", ...args, "--out", out, "--eval-data", heldOut, "--eval-every", "2"], {timeoutMs: 300_000});
        expect(r.code, r.stderr).toBe(0);
        const steps = 18; // 6 examples in micro-batches of 2, 6 epochs
        const summary = JSON.parse(fs.readFileSync(path.join(out, "train-summary.json"), "utf8")) as {losses: number[], heldOut: {examples: number, bestStep: number, curve: {step: number, loss: number, kl: number | null}[]}};
        const curve = summary.heldOut.curve;
        console.log(`held-out curve: ${curve.map((p) => `${p.step}:${p.loss.toFixed(3)}`).join(" ")}`);
        expect(summary.heldOut.examples).toBe(4);
        expect(curve.map((p) => p.step)).toEqual([0, 2, 4, 6, 8, 10, 12, 14, 16, 18]);
        expect(curve.every((p) => p.kl === null && Number.isFinite(p.loss))).toBe(true);
        const best = curve.slice(1).reduce((a, b) => (b.loss < a.loss ? b : a));
        expect(summary.heldOut.bestStep).toBe(best.step);
        expect(best.step).toBeLessThan(steps);
        expect(curve.at(-1)!.loss).toBeGreaterThan(best.loss);
        expect(JSON.parse(r.stdout)).toMatchObject({steps, heldOut: {best: {step: best.step, loss: best.loss}}});
        expect(r.stderr).toMatch(/held-out at step 2: loss \d+\.\d{4}/);

        // The adapter written is the best checkpoint's, bit for bit, and not the last step's.
        const adapter = await readGgufLora(path.join(out, "adapter.gguf"));
        const bestCheckpoint = await readCheckpoint(path.join(out, "best-checkpoint.gguf"));
        const last = await readCheckpoint(path.join(out, "checkpoint.gguf"));
        expect(bestCheckpoint.state.step).toBe(best.step);
        expect(last.state.step).toBe(steps);
        const tensor = (c: LoadedCheckpoint, layer: number, target: string, which: "a" | "b") => {
            const bytes = c.file.readTensorBytes(c.file.tensor(`blk.${layer}.${target}.lora_${which}`)!);
            return Array.from(new Float32Array(bytes.slice().buffer));
        };
        for (const m of adapter.modules) {
            expect(Array.from(m.a)).toEqual(tensor(bestCheckpoint, m.layer, m.target, "a"));
            expect(Array.from(m.b)).toEqual(tensor(bestCheckpoint, m.layer, m.target, "b"));
        }
        expect(adapter.modules.some((m) => Array.from(m.b).some((x, i) => x !== tensor(last, m.layer, m.target, "b")[i]))).toBe(true);

        // Evaluating in between leaves the training itself as it was: the same losses as a run without it.
        const plain = await runCli(["train", ...args, "--out", path.join(dir, "eval-every-plain")], {timeoutMs: 300_000});
        expect(plain.code, plain.stderr).toBe(0);
        expect(JSON.parse(fs.readFileSync(path.join(dir, "eval-every-plain", "train-summary.json"), "utf8")).losses).toEqual(summary.losses);
    }, 300_000);

    describe("bad input: a clear error, a non-zero exit, and nothing trained is lost", () => {
        it("a line without an assistant answer", async () => {
            const bad = writeJsonl("no-answer.jsonl", [chatRecords(1, 1)[0]!.record, {messages: [{role: "user", content: "hi"}], teacher_system: "x"}]);
            const r = await runCli(["train", "--model", model, "--data", bad, "--out", path.join(dir, "no-answer"), ...quick]);
            expect(r.code).toBe(3);
            expect(r.stderr).toContain(`${bad}:2: invalid record at "messages": the last message must be the assistant answer`);
        });

        it("a distillation line without teacher_system", async () => {
            const bad = writeJsonl("no-persona.jsonl", [{messages: [{role: "user", content: "hi"}, {role: "assistant", content: "hello"}]}]);
            const r = await runCli(["train", "--model", model, "--data", bad, "--out", path.join(dir, "no-persona"), ...quick]);
            expect(r.code).toBe(3);
            expect(r.stderr).toMatch(/no-persona.jsonl:1: no teacher_system.*\n.*--objective sft/);
        });

        it("sequences longer than --max-len: answers are cut and counted, prompts that leave no room are refused", async () => {
            const long = writeJsonl("long.jsonl", [{messages: [{role: "user", content: "hi"}, {role: "assistant", content: "word ".repeat(80)}]}]);
            const cut = await runCli(["train", "--model", model, "--data", long, "--out", path.join(dir, "long"), ...quick, "--objective", "sft", "--max-len", "24", "--json"]);
            expect(cut.code, cut.stderr).toBe(0);
            expect(JSON.parse(cut.stdout)).toMatchObject({truncatedAnswers: 1});
            expect(cut.stderr).toContain("1 answers cut to --max-len");
            const longPrompt = writeJsonl("long-prompt.jsonl", [{messages: [{role: "user", content: "word ".repeat(80)}, {role: "assistant", content: "ok"}]}]);
            const refused = await runCli(["train", "--model", model, "--data", longPrompt, "--out", path.join(dir, "long-prompt"), ...quick, "--objective", "sft", "--max-len", "24"]);
            expect(refused.code).toBe(3);
            expect(refused.stderr).toMatch(/long-prompt.jsonl:1: the prompt alone is \d+ tokens, which leaves no room for the answer within --max-len 24/);
        });

        it("a rank larger than a projection", async () => {
            const r = await runCli(["train", "--model", model, "--data", data, "--out", path.join(dir, "rank"), ...quick.slice(2), "--rank", "100"]);
            expect(r.code).toBe(2);
            expect(r.stderr).toContain("--rank 100 is larger than the q projection's dimensions (64×64)");
        });

        it("resuming a run with a different base model, or restarting a run without --resume", async () => {
            const out = path.join(dir, "guarded");
            expect((await runCli(["train", "--model", model, "--data", data, "--out", out, ...quick])).code).toBe(0);
            const before = fs.readFileSync(path.join(out, "checkpoint.gguf"));
            const other = await runCli(["train", "--model", otherModel, "--data", data, "--out", out, ...quick, "--resume"]);
            expect(other.code).toBe(2);
            expect(other.stderr).toMatch(/checkpoint.gguf was trained on a different base model[\s\S]*hint: resume with the --model the run started with/);
            const again = await runCli(["train", "--model", model, "--data", data, "--out", out, ...quick]);
            expect(again.code).toBe(2);
            expect(again.stderr).toContain("already holds a training run");
            expect(fs.readFileSync(path.join(out, "checkpoint.gguf")).equals(before)).toBe(true);
        });

        it("--eval-every without --eval-data, and --eval-data without --eval-every", async () => {
            const noData = await runCli(["train", "--model", model, "--data", data, "--out", path.join(dir, "no-eval-data"), ...quick, "--eval-every", "2"]);
            expect(noData.code).toBe(2);
            expect(noData.stderr).toMatch(/--eval-every needs a held-out set[\s\S]*--eval-data/);
            const noEvery = await runCli(["train", "--model", model, "--data", data, "--out", path.join(dir, "no-eval-every"), ...quick, "--eval-data", data]);
            expect(noEvery.code).toBe(2);
            expect(noEvery.stderr).toContain("pass --eval-every N");
        });

        it("a missing data file, an adapter passed as the model, an unknown target", async () => {
            const missing = await runCli(["train", "--model", model, "--data", path.join(dir, "nope.jsonl"), "--out", path.join(dir, "x"), ...quick]);
            expect(missing.code).toBe(3);
            expect(missing.stderr).toContain("JSONL file not found");
            const adapter = path.join(dir, "ok", "adapter.gguf");
            const wrong = await runCli(["train", "--model", adapter, "--data", data, "--out", path.join(dir, "y"), ...quick]);
            expect(wrong.code).toBe(3);
            expect(wrong.stderr).toContain("this is a LoRA adapter, not a model");
            const target = await runCli(["train", "--model", model, "--data", data, "--out", path.join(dir, "z"), ...quick, "--targets", "q,qkv"]);
            expect(target.code).toBe(2);
            expect(target.stderr).toContain("--targets: unknown projection qkv");
        });

        it("a setting out of range, named by its flag", async () => {
            const warmup = await runCli(["train", "--model", model, "--data", data, "--out", path.join(dir, "warmup"), ...quick, "--warmup-ratio", "2"]);
            expect(warmup.code).toBe(2);
            expect(warmup.stderr).toMatch(/^prism: --warmup-ratio: .* \(got 2\)$/m);
            const clip = await runCli(["train", "--model", model, "--data", data, "--out", path.join(dir, "clip"), ...quick, "--grad-clip", "-1"]);
            expect(clip.code).toBe(2);
            expect(clip.stderr).toMatch(/^prism: --grad-clip: .* \(got -1\)$/m);
            expect(fs.existsSync(path.join(dir, "warmup", "adapter.gguf"))).toBe(false);
        });

        it("a routed-expert target on a model without experts", async () => {
            const r = await runCli(["train", "--model", model, "--data", data, "--out", path.join(dir, "w"), ...quick, "--targets", "q,up_exps"]);
            expect(r.code).toBe(2);
            expect(r.stderr).toMatch(/--targets up_exps: this \w+ model has no routed experts/);
        });
    });
});
