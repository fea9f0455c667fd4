import type {CommandModule} from "yargs";
import {makeTinyLora} from "../../lora/tiny-lora.js";
import {printResult} from "../output.js";
import {runCommand} from "../run-command.js";
import {projectionNames, type ProjectionName} from "../../model/architecture.js";
import {UsageError} from "../../util/prism-error.js";

type TinyLoraArgs = {model: string, out: string, rank: number, alpha?: number, targets: string, seed: number, json: boolean};

export const TinyLoraCommand: CommandModule<object, TinyLoraArgs> = {
    command: "tiny-lora",
    describe: "Write a random LoRA adapter for a model, in llama.cpp's GGUF adapter format (for tests and demos)",
    builder: (y) => y
        .option("model", {type: "string", demandOption: true, group: "Required:", describe: "Base model (GGUF)"})
        .option("out", {type: "string", demandOption: true, group: "Required:", describe: "Output adapter .gguf path"})
        .option("rank", {type: "number", default: 4, describe: "LoRA rank"})
        .option("alpha", {type: "number", describe: "LoRA alpha (default 2 × rank); the scale is alpha / rank"})
        .option("targets", {type: "string", default: projectionNames.join(","), describe: "Comma-separated projections: q,k,v,o,gate,up,down"})
        .option("seed", {type: "number", default: 1, describe: "Seed of the random A and B matrices"})
        .option("json", {type: "boolean", default: false, describe: "Print one JSON object"}),
    handler: (args) => runCommand(async () => {
        const targets = args.targets.split(",").map((s) => s.trim()).filter(Boolean);
        const bad = targets.filter((t) => !(projectionNames as string[]).includes(t));
        if (bad.length > 0) throw new UsageError(`--targets: unknown projection ${bad.join(", ")}`, {hint: `choose from ${projectionNames.join(", ")}`});
        const lora = await makeTinyLora(args.model, args.out, {rank: args.rank, alpha: args.alpha, targets: targets as ProjectionName[], seed: args.seed});
        const summary = {path: args.out, arch: lora.arch, rank: lora.rank, alpha: lora.alpha, modules: lora.modules.length, targets, baseModelFingerprint: lora.baseModelFingerprint};
        printResult(summary, {json: args.json, human: () => `wrote ${args.out}: rank ${lora.rank}, alpha ${lora.alpha}, ${lora.modules.length} adapted projections (${targets.join(", ")})`});
    })
};
