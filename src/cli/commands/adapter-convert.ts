import type {CommandModule} from "yargs";
import {adapterFormats, type AdapterFormat} from "../../lora/adapter-file.js";
import {convertAdapter} from "../../lora/convert-adapter.js";
import {printResult} from "../output.js";
import {runCommand} from "../run-command.js";

type AdapterConvertArgs = {
    input: string, output: string, to?: AdapterFormat, model?: string, dtype: "f32" | "f16",
    "allow-other-base": boolean, "base-model-name"?: string, json: boolean
};

export const AdapterConvertCommand: CommandModule<object, AdapterConvertArgs> = {
    command: "convert <input> <output>",
    describe: "Convert a LoRA adapter between llama.cpp's GGUF and a Hugging Face PEFT directory",
    builder: (y) => y
        .positional("input", {type: "string", demandOption: true, describe: "Adapter: a .gguf file or a PEFT directory (adapter_config.json + adapter_model.safetensors)"})
        .positional("output", {type: "string", demandOption: true, describe: "Where to write: a .gguf file, or a directory for PEFT"})
        .option("to", {choices: adapterFormats, group: "Optional:", describe: "Output format (default: the other one)"})
        .option("model", {type: "string", group: "Optional:", describe: "Base model (GGUF): checks the adapter against it; needed for llama q/k rows when the adapter lacks head counts"})
        .option("dtype", {choices: ["f32", "f16"] as const, default: "f32" as const, group: "Optional:", describe: "Storage type of the output matrices (f32 is lossless)"})
        .option("allow-other-base", {type: "boolean", default: false, group: "Optional:", describe: "Accept a --model whose fingerprint differs from the adapter's record (e.g. another quantization)"})
        .option("base-model-name", {type: "string", group: "Optional:", describe: "PEFT base_model_name_or_path to record (a Hugging Face id)"})
        .option("json", {type: "boolean", default: false, describe: "Print one JSON object"})
        .example("$0 adapter convert persona.gguf persona-peft --model base.gguf", "GGUF → PEFT for vLLM or Hugging Face")
        .example("$0 adapter convert ./peft-adapter persona.gguf --model base.gguf", "PEFT → GGUF for llama.cpp and Ollama"),
    handler: (args) => runCommand(async () => {
        const r = await convertAdapter(args.input, args.output, {
            to: args.to, model: args.model, dtype: args.dtype, allowOtherBase: args["allow-other-base"], baseModelName: args["base-model-name"]
        });
        printResult(r, {
            json: args.json,
            human: () => [
                `wrote ${r.output} (${r.to}) from ${r.input} (${r.from}): ${r.arch}, rank ${r.rank}, scale ${r.scale}, ${r.modules} projections (${r.targets.join(", ")}) in layers ${r.layers.join(", ")}` +
                    (r.permutedQK ? "; q/k rows reordered between HF and llama.cpp layouts" : ""),
                ...r.warnings.map((w) => `warning: ${w}`)
            ].join("\n")
        });
    })
};
