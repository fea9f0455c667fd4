import type {CommandModule} from "yargs";
import {readAdapterBase} from "../../lora/adapter-base.js";
import {loadAdapter} from "../../lora/adapter-file.js";
import {mergeLora, type MergeLoraOptions} from "../../lora/merge-lora.js";
import {formatBytes, printResult} from "../output.js";
import {runCommand} from "../run-command.js";

type MergeArgs = {model: string, adapter: string, out: string, dtype: NonNullable<MergeLoraOptions["dtype"]>, scale: number, "allow-other-base": boolean, json: boolean};

export const MergeCommand: CommandModule<object, MergeArgs> = {
    command: "merge",
    describe: "Fold a LoRA adapter into a model's weights (W + scale·B·A, as llama.cpp applies it) and write a new GGUF",
    builder: (y) => y
        .option("model", {type: "string", demandOption: true, group: "Required:", describe: "Base model (GGUF: F32, F16 or Q8_0 projections)"})
        .option("adapter", {type: "string", demandOption: true, group: "Required:", describe: "Adapter: a .gguf file or a PEFT directory"})
        .option("out", {type: "string", demandOption: true, group: "Required:", describe: "Output .gguf path (written atomically)"})
        .option("dtype", {choices: ["same", "f32", "f16", "q8_0"] as const, default: "same" as const, group: "Optional:", describe: "Storage of the merged projections (same: each tensor's own type); other tensors are copied as they are"})
        .option("scale", {type: "number", default: 1, group: "Optional:", describe: "Adapter scale, as llama.cpp's --lora-scaled (multiplies alpha / rank)"})
        .option("allow-other-base", {type: "boolean", default: false, group: "Optional:", describe: "Accept a --model whose fingerprint differs from the adapter's record (e.g. another quantization)"})
        .option("json", {type: "boolean", default: false, describe: "Print one JSON object"})
        .example("$0 merge --model base.gguf --adapter run/adapter.gguf --out merged.gguf", "a model that behaves as base + adapter without loading the adapter"),
    handler: (args) => runCommand(async () => {
        const base = await readAdapterBase(args.model);
        const {lora} = await loadAdapter(args.adapter, {base});
        const r = await mergeLora(args.model, lora, args.out, {dtype: args.dtype, scale: args.scale, adapterPath: args.adapter, allowOtherBase: args["allow-other-base"]});
        printResult({out: args.out, ...r}, {
            json: args.json,
            human: () => [`wrote ${args.out} (${formatBytes(r.bytes)}): ${r.mergedTensors} projections merged at scale ${r.scale}`, ...r.warnings.map((w) => `warning: ${w}`)].join("\n")
        });
    })
};
