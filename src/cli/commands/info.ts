import fs from "node:fs";
import type {CommandModule} from "yargs";
import {describePeftAdapter, type PeftAdapterDescription} from "../../lora/describe-peft-adapter.js";
import {describeGguf, type GgufDescription} from "../../model/describe-gguf.js";
import {formatBytes, formatTable, printResult} from "../output.js";
import {runCommand} from "../run-command.js";

type InfoArgs = {file: string, json: boolean, tensors: boolean};

export const InfoCommand: CommandModule<object, InfoArgs> = {
    command: "info <file>",
    describe: "Show a GGUF model's or LoRA adapter's (GGUF or PEFT) architecture, sizes and tensor shapes",
    builder: (y) => y
        .positional("file", {type: "string", demandOption: true, describe: "GGUF model or adapter file, or a PEFT adapter directory"})
        .option("tensors", {type: "boolean", default: false, describe: "List every tensor (default: the non-block tensors and block 0)"})
        .option("json", {type: "boolean", default: false, describe: "Print one JSON object"})
        .example("$0 info tiny.gguf", "architecture, widths, vocabulary and tensor shapes")
        .example("$0 info adapter.gguf --json", "rank, alpha, targets and layers, as JSON")
        .example("$0 info ./peft-adapter", "a PEFT adapter directory: rank, lora_alpha, scale, target modules"),
    handler: (args) => runCommand(async () => {
        if (fs.statSync(args.file, {throwIfNoEntry: false})?.isDirectory()) {
            const p = describePeftAdapter(args.file);
            printResult(p, {json: args.json, human: () => formatPeftDescription(p, args.tensors)});
            return;
        }
        const d = await describeGguf(args.file);
        printResult(d, {json: args.json, human: () => formatDescription(d, args.tensors)});
    })
};

function formatPeftDescription(d: PeftAdapterDescription, allTensors: boolean): string {
    const rows: [string, string | number][] = [
        ["directory", d.path], ["kind", "PEFT LoRA adapter"], ["architecture", d.architecture ?? "(not recorded)"],
        ["base model", d.baseModelName ?? "(not recorded)"], ["size", formatBytes(d.sizeBytes)], ["tensors", d.tensorCount],
        ["parameters", d.parameterCount.toLocaleString("en-US")], ["types", Object.entries(d.tensorTypes).map(([t, n]) => `${t}×${n}`).join(" ")],
        ["rank", d.rank], ["alpha", `${d.alpha}${d.useRslora ? " (rsLoRA)" : ""}`], ["scale", d.scale], ["dropout", d.dropout],
        ["targets", d.targets.join(", ")], ["layers", compactRange(d.layers)], ["base fingerprint", d.baseModelFingerprint ?? "(not recorded)"]
    ];
    const shown = allTensors ? d.tensors : d.tensors.filter((t) => /\.layers\.0\./.test(t.name));
    const hidden = d.tensors.length - shown.length;
    const tensorRows: [string, string][] = shown.map((t) => [t.name, `${t.type.padEnd(5)} [${t.shape.join(", ")}]`]);
    return formatTable(rows) + "\n\n" + formatTable(tensorRows) + (hidden > 0 ? `\n(${hidden} more in later layers; --tensors lists them)` : "");
}

function formatDescription(d: GgufDescription, allTensors: boolean): string {
    const rows: [string, string | number][] = [
        ["file", d.path], ["kind", d.kind], ["architecture", d.architecture ?? "(none)"], ["name", d.name ?? "(none)"],
        ["size", formatBytes(d.fileSizeBytes)], ["tensors", d.tensorCount], ["parameters", d.parameterCount.toLocaleString("en-US")],
        ["types", Object.entries(d.tensorTypes).map(([t, n]) => `${t}×${n}`).join(" ")], ["fingerprint", d.fingerprint]
    ];
    const split = d.shards.length > 1;
    if (split)
        rows.splice(1, 0, ...d.shards.map((s, i): [string, string] => [`shard ${i + 1} of ${d.shards.length}`, `${s.path} (${formatBytes(s.sizeBytes)}, ${s.tensorCount} tensors)`]));
    if (d.hparams) {
        const h = d.hparams;
        rows.push(["layers", h.layers], ["embedding", h.embedding], ["heads", `${h.heads} (kv ${h.kvHeads}, head dim ${h.headDim})`],
            ["feed-forward", h.feedForward], ["vocabulary", h.vocab], ["context", h.contextLength], ["rope theta", h.ropeTheta],
            ["tied embeddings", String(h.tiedEmbeddings)]);
        if (h.ropeScaling.type !== "none" && h.ropeScaling.factor !== 1)
            rows.push(["rope scaling", `${h.ropeScaling.type} ×${h.ropeScaling.factor} (from ${h.ropeScaling.originalContext} tokens)`]);
        rows.push(["trainer", h.trainerUnsupported.length === 0 ? "supported" : `not supported: ${h.trainerUnsupported.join("; ")}`]);
    }
    if (d.lora) {
        rows.push(["rank", d.lora.rank ?? "mixed"], ["alpha", d.lora.alpha ?? "(unset: scale 1)"], ["targets", d.lora.targets.join(", ")],
            ["layers", compactRange(d.lora.layers)], ["base model", d.lora.baseModelFingerprint ?? "(not recorded)"]);
    }
    const shown = allTensors ? d.tensors : d.tensors.filter((t) => !t.name.startsWith("blk.") || t.name.startsWith("blk.0."));
    const hidden = d.tensors.length - shown.length;
    const tensorRows: [string, string][] = shown.map((t) => [t.name, `${t.type.padEnd(5)} [${t.shape.join(", ")}]${split ? `  shard ${t.shard + 1}` : ""}`]);
    return formatTable(rows) + "\n\n" + formatTable(tensorRows) + (hidden > 0 ? `\n(${hidden} more in later blocks; --tensors lists them)` : "");
}

function compactRange(xs: number[]): string {
    if (xs.length === 0) return "(none)";
    const contiguous = xs.every((x, i) => i === 0 || x === xs[i - 1]! + 1);
    return contiguous && xs.length > 2 ? `${xs[0]}-${xs.at(-1)}` : xs.join(", ");
}
