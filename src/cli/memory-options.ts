import fs from "node:fs";
import type {Argv} from "yargs";
import {expertProjectionNames, loraTargetNames, projectionNames, type LoraTargetName} from "../model/architecture.js";
import type {MemoryCheck} from "../train/memory-check.js";
import {formatFittingOptions} from "../train/memory-check.js";
import {formatByteSize, parseByteSize} from "../util/byte-size.js";
import {MissingFileError, UsageError} from "../util/prism-error.js";
import {formatTable} from "./output.js";

/** The trainer's device flag (train, bootstrap, plan). */
export const DEVICE_CHOICES = ["auto", "cpu", "cuda", "vulkan"] as const;
export type DeviceArg = typeof DEVICE_CHOICES[number];

export type MemoryCheckArgs = {"memory-limit"?: string, "skip-memory-check": boolean};

/** --memory-limit and --skip-memory-check: the pre-flight check of bootstrap and train. */
export function withMemoryCheckOptions<T>(y: Argv<T>, group = "Memory:"): Argv<T & MemoryCheckArgs> {
    return y
        .option("memory-limit", {type: "string", group, describe: "Count at most this much RAM as available, e.g. 8GiB (default: what the system has free; also $PRISM_MEMORY_LIMIT)"})
        .option("skip-memory-check", {type: "boolean", default: false, group, describe: "Start even when the estimate says the run does not fit"}) as Argv<T & MemoryCheckArgs>;
}

export function memoryLimitBytes(args: MemoryCheckArgs): number | undefined {
    return args["memory-limit"] === undefined ? undefined : parseByteSize(args["memory-limit"], "--memory-limit");
}

export function parseTargets(value: string | undefined): LoraTargetName[] | undefined {
    if (value === undefined) return undefined;
    const targets = value.split(",").map((s) => s.trim()).filter(Boolean);
    const bad = targets.filter((t) => !(loraTargetNames as string[]).includes(t));
    if (bad.length > 0 || targets.length === 0)
        throw new UsageError(`--targets: unknown projection ${bad.join(", ") || "(none given)"}`, {hint: `choose from ${projectionNames.join(", ")} (and in a mixture of experts ${expertProjectionNames.join(", ")})`});
    return targets as LoraTargetName[];
}

export function parseLayers(value: string | undefined): "all" | "all-but-first" | number[] | undefined {
    if (value === undefined || value === "all" || value === "all-but-first") return value;
    const layers = value.split(",").map((s) => Number(s.trim()));
    if (layers.some((l) => !Number.isInteger(l) || l < 0)) throw new UsageError(`--layers: expected all, all-but-first or block indices like 1,2,3, got ${value}`);
    return layers;
}

/** Records of a JSONL training file (its non-empty lines), for the estimate of the teacher's targets. */
export function countJsonlRecords(file: string): number {
    if (!fs.existsSync(file)) throw new MissingFileError(file, "JSONL file");
    return fs.readFileSync(file, "utf8").split("\n").filter((l) => l.trim() !== "").length;
}

/** Each stage's needs against the machine, and the verdict, for people. */
export function formatMemoryCheck(check: MemoryCheck): string {
    const {plan, machine} = check;
    const gb = formatByteSize;
    const rows: [string, string][] = [
        ["model", `${plan.model.path}: ${gb(plan.model.fileBytes)} on disk, ${plan.model.blocks} blocks, width ${plan.model.width}, vocabulary ${plan.model.vocabulary}`],
        ["adapter", `${plan.trainableParameters.toLocaleString("en-US")} trainable parameters; activations ${gb(plan.bytesPerToken)} per token × ${plan.microBatchTokens} tokens a micro-batch`],
        ...plan.stages.map((s): [string, string] => [
            s.stage, `${s.device === "gpu" ? `GPU ${gb(s.gpuBytes)} + RAM ${gb(s.ramBytes)}` : `RAM ${gb(s.ramBytes)}`}${s.diskBytes > 0 ? `, disk ${gb(s.diskBytes)}` : ""}  (` +
                Object.entries(s.parts).map(([k, v]) => `${k} ${gb(v)}`).join(", ") + ")"
        ]),
        ["disk", `${gb(plan.diskBytes)} written to the run folder`],
        ["machine", `RAM ${gb(machine.ramAvailableBytes)} available of ${gb(machine.ramTotalBytes)}${machine.ramLimitBytes !== undefined ? ` (limit ${gb(machine.ramLimitBytes)})` : ""}; ` +
            (machine.gpu ? `GPU ${machine.gpu.name} (${machine.gpu.description}) ${gb(machine.gpu.freeBytes)} free of ${gb(machine.gpu.totalBytes)}` : "no GPU")],
        ["verdict", check.fits ? "fits" : "does not fit: " + check.shortfalls.map((s) => `${s.stage} needs ${gb(s.needBytes)} of ${s.memory === "gpu" ? "GPU memory" : "RAM"}, ${gb(s.haveBytes)} available`).join("; ")],
        ...check.suggestions.map((o, i): [string, string] => [i === 0 ? "would fit" : "", formatFittingOptions(o)])
    ];
    return formatTable(rows);
}
