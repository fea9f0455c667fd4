import type {CommandModule} from "yargs";
import {makeTinyModel} from "../../model/tiny-model.js";
import {formatBytes, printResult} from "../output.js";
import {runCommand} from "../run-command.js";

type TinyModelArgs = {
    out: string, arch: "llama" | "qwen2", layers: number, dim: number, heads: number, "kv-heads": number, ff?: number,
    vocab: "byte" | "bpe", merges: number, seed: number, dtype: "f32" | "f16" | "q8_0", "context-length": number, "tied-embeddings": boolean, json: boolean
};

export const TinyModelCommand: CommandModule<object, TinyModelArgs> = {
    command: "tiny-model",
    describe: "Write a small random-initialised GGUF model of a real architecture (for tests, demos and benchmarks)",
    builder: (y) => y
        .option("out", {type: "string", demandOption: true, group: "Required:", describe: "Output .gguf path"})
        .option("arch", {choices: ["llama", "qwen2"] as const, default: "llama" as const, group: "Shape:", describe: "Architecture (qwen2 adds q/k/v biases and NeoX rope)"})
        .option("layers", {type: "number", default: 2, group: "Shape:", describe: "Transformer blocks"})
        .option("dim", {type: "number", default: 64, group: "Shape:", describe: "Hidden width"})
        .option("heads", {type: "number", default: 4, group: "Shape:", describe: "Attention heads"})
        .option("kv-heads", {type: "number", default: 2, group: "Shape:", describe: "Key/value heads (fewer than --heads gives grouped-query attention)"})
        .option("ff", {type: "number", group: "Shape:", describe: "Feed-forward width (default 2.5 × dim, rounded up to a multiple of 32)"})
        .option("vocab", {choices: ["byte", "bpe"] as const, default: "bpe" as const, group: "Tokenizer:", describe: "bpe: byte-level BPE with merges; byte: the 256 byte tokens only"})
        .option("merges", {type: "number", default: 512, group: "Tokenizer:", describe: "BPE merges to learn from the built-in corpus (at most what the corpus supports)"})
        .option("dtype", {choices: ["f32", "f16", "q8_0"] as const, default: "f32" as const, group: "Weights:", describe: "Storage type of the weight matrices"})
        .option("seed", {type: "number", default: 1, group: "Weights:", describe: "Seed; the same options give the same file"})
        .option("context-length", {type: "number", default: 2048, group: "Shape:", describe: "Training context length in the metadata"})
        .option("tied-embeddings", {type: "boolean", default: false, group: "Shape:", describe: "No output.weight: the token embedding is the output projection"})
        .option("json", {type: "boolean", default: false, describe: "Print one JSON object"})
        .example("$0 tiny-model --out tiny.gguf", "2 layers, width 64, llama, BPE vocabulary")
        .example("$0 tiny-model --out wide.gguf --dim 512 --layers 4 --heads 8 --kv-heads 4", "a model wide enough for the training benchmark"),
    handler: (args) => runCommand(async () => {
        const r = await makeTinyModel(args.out, {
            arch: args.arch, layers: args.layers, dim: args.dim, heads: args.heads, kvHeads: args["kv-heads"], ff: args.ff,
            vocab: args.vocab, merges: args.merges, seed: args.seed, dtype: args.dtype, contextLength: args["context-length"], tiedEmbeddings: args["tied-embeddings"]
        });
        printResult(r, {
            json: args.json,
            human: () => `wrote ${r.path}: ${r.config.arch}, ${r.config.layers} layers, width ${r.config.dim}, ${r.config.heads} heads (${r.config.kvHeads} kv), ` +
                `ff ${r.config.ff}, vocabulary ${r.vocabSize}, ${r.parameterCount.toLocaleString("en-US")} parameters, ${r.config.dtype}, ${formatBytes(r.sizeBytes)}`
        });
    })
};
