import type {CommandModule} from "yargs";
import {buildWorldModel, defaultWorldBuildConfig as d, recordPathFor, type WorldBuildProgress} from "../../world/build-world-model.js";
import {formatBytes, printResult} from "../output.js";
import {runCommand} from "../run-command.js";

type WorldBuildArgs = {
    out: string, seed: number, "per-domain": number, merges: number, dim: number, layers: number, heads: number, "kv-heads": number,
    context: number, epochs: number, lr: number, "sft-epochs": number, "sft-mode": "full" | "lora", "sft-rank": number, "sft-lr": number, threads: number, dtype: "q8_0" | "f16" | "f32", json: boolean, quiet: boolean
};

export const WorldBuildCommand: CommandModule<object, WorldBuildArgs> = {
    command: "build",
    describe: "Train the planted world's model from scratch: llama.cpp's optimiser on whole episodes, then reply-only SFT of every weight (seeded; the defaults make models/world.gguf)",
    builder: (y) => y
        .option("out", {type: "string", demandOption: true, group: "Required:", describe: "Output .gguf path (its build record goes beside it as .json)"})
        .option("seed", {type: "number", default: d.seed, group: "Corpus:", describe: "Seed of the tasks, the corpus wording, the initial weights and the data order"})
        .option("per-domain", {type: "number", default: d.perDomain, group: "Corpus:", describe: "Training tasks per domain"})
        .option("merges", {type: "number", default: d.merges, group: "Corpus:", describe: "BPE merges learned on the corpus"})
        .option("dim", {type: "number", default: d.dim, group: "Shape:", describe: "Hidden width"})
        .option("layers", {type: "number", default: d.layers, group: "Shape:", describe: "Transformer blocks"})
        .option("heads", {type: "number", default: d.heads, group: "Shape:", describe: "Attention heads"})
        .option("kv-heads", {type: "number", default: d.kvHeads, group: "Shape:", describe: "Key/value heads"})
        .option("context", {type: "number", default: d.context, group: "Shape:", describe: "Training window and context length (episodes are packed whole)"})
        .option("epochs", {type: "number", default: d.epochs, group: "Training:", describe: "Stage 1: passes over the corpus, every token's loss (fractions allowed)"})
        .option("lr", {type: "number", default: d.lr, group: "Training:", describe: "Stage 1: AdamW peak learning rate (warm-up, then cosine)"})
        .option("sft-epochs", {type: "number", default: d.sftEpochs, group: "Stage 2 (reply-only SFT):", describe: "Passes of reply-only SFT over the same episodes (0 skips the stage)"})
        .option("sft-mode", {choices: ["full", "lora"] as const, default: d.sftMode, group: "Stage 2 (reply-only SFT):", describe: "Train every weight, or a LoRA on every projection merged in afterwards"})
        .option("sft-rank", {type: "number", default: d.sftRank, group: "Stage 2 (reply-only SFT):", describe: "With --sft-mode lora: the rank on every projection of every block (alpha = rank)"})
        .option("sft-lr", {type: "number", default: d.sftLr, group: "Stage 2 (reply-only SFT):", describe: "AdamW peak learning rate of stage 2"})
        .option("threads", {type: "number", default: d.threads, group: "Training:", describe: "CPU threads"})
        .option("dtype", {choices: ["q8_0", "f16", "f32"] as const, default: d.dtype, group: "Training:", describe: "Storage of the written weight matrices"})
        .option("quiet", {type: "boolean", default: false, describe: "No progress lines"})
        .option("json", {type: "boolean", default: false, describe: "Print the build record as JSON"})
        .example("$0 world build --out models/world.gguf", "the committed world model")
        .example("$0 world build --out small.gguf --per-domain 4 --dim 32 --layers 1 --epochs 0.5", "a quick, small world"),
    handler: (args) => runCommand(async (signal) => {
        const record = await buildWorldModel({
            out: args.out, seed: args.seed, perDomain: args["per-domain"], merges: args.merges, dim: args.dim, layers: args.layers,
            heads: args.heads, kvHeads: args["kv-heads"], context: args.context, epochs: args.epochs, lr: args.lr, threads: args.threads,
            sftEpochs: args["sft-epochs"], sftMode: args["sft-mode"], sftRank: args["sft-rank"], sftLr: args["sft-lr"],
            dtype: args.dtype, signal, command: `prism ${process.argv.slice(2).join(" ")}`,
            // Stage 2's steps are many and short: every 10th and the last.
            onProgress: args.quiet ? undefined : (p) => {
                if (p.stage !== "sft" || p.step % 10 === 0 || p.step === p.steps) process.stderr.write(describeProgress(p) + "\n");
            }
        });
        printResult(record, {
            json: args.json,
            human: () => `wrote ${args.out} (${formatBytes(record.model.bytes)}, ${record.model.parameters.toLocaleString("en-US")} parameters, vocabulary ${record.model.vocab}) ` +
                `and ${recordPathFor(args.out)}: ${record.steps} steps, loss ${record.firstLoss} → ${record.finalTrainLoss}, ` +
                `held-out loss ${record.evals.at(-1)?.loss}` +
                (record.sft ? `; stage 2: ${record.sft.steps} steps, reply loss ${record.sft.firstLoss} → ${record.sft.finalLoss}, held-out reply loss ${record.sft.heldOut.before} → ${record.sft.heldOut.after}` : "") +
                `, ${record.buildSeconds} s (${record.cpuSeconds} CPU s)`
        });
    })
};

function describeProgress(p: WorldBuildProgress): string {
    switch (p.stage) {
        case "corpus":
            return `corpus: ${p.episodes} episodes in ${p.windows} windows (${p.tokens} tokens, ${(p.fill * 100).toFixed(0)}% filled, ${p.dropped} too long); ` +
                `${p.parameters.toLocaleString("en-US")} parameters, vocabulary ${p.vocab}`;
        case "train":
            return `step ${p.step}/${p.steps} (epoch ${p.epoch.toFixed(2)}): loss ${p.loss.toFixed(3)}, accuracy ${(p.accuracy * 100).toFixed(1)}%, lr ${p.lr.toExponential(2)}, ${p.tokensPerSecond.toFixed(0)} tok/s`;
        case "eval":
            return `held-out after epoch ${p.epoch.toFixed(2)}: loss ${p.loss.toFixed(3)}, accuracy ${(p.accuracy * 100).toFixed(1)}%`;
        case "sft-start":
            return `stage 2 (reply-only SFT): ${p.episodes} episodes (${p.dropped} too long), ${p.steps} steps, ${p.trainableParameters.toLocaleString("en-US")} trainable parameters`;
        case "sft":
            return `sft step ${p.step}/${p.steps} (pass ${p.epoch + 1}): reply loss ${p.loss.toFixed(3)}, lr ${p.lr.toExponential(2)}, ${p.tokensPerSecond.toFixed(0)} tok/s`;
        case "sft-eval":
            return `held-out reply loss ${p.after ? "after" : "before"} stage 2: ${p.replyLoss.toFixed(3)} (${p.episodes} episodes)`;
    }
}
