import fs from "node:fs";
import os from "node:os";
import {ggmlBuildFor, type GgmlDeviceChoice} from "../ggml/ggml-backend.js";
import {availableGpuBackends} from "../ggml/ggml-libraries.js";
import {Ggml} from "../ggml/ggml.js";
import {GgufFile} from "../model/gguf-file.js";
import {readModelHparams} from "../model/model-hparams.js";
import {formatByteSize, parseByteSize} from "../util/byte-size.js";
import {ResourceError} from "../util/prism-error.js";
import {estimateMemoryPlan, type MemoryPlan, type MemoryPlanOptions, type StageNeeds} from "./memory-plan.js";

/** Overrides the RAM the check counts as available (a size like `8GiB`), as `--memory-limit` does. */
export const MEMORY_LIMIT_ENV = "PRISM_MEMORY_LIMIT";

export type MachineMemory = {
    ramTotalBytes: number,
    /** What the kernel says can be allocated without swapping (MemAvailable), or the limit when that is lower. */
    ramAvailableBytes: number,
    /** A limit given by flag or PRISM_MEMORY_LIMIT. */
    ramLimitBytes?: number,
    /** The GPU the trainer would use, when there is one. */
    gpu?: {name: string, description: string, totalBytes: number, freeBytes: number}
};

/** RAM from /proc/meminfo (os.freemem elsewhere) and the GPU ggml would train on for `device`. */
export async function readMachineMemory(options: {device?: GgmlDeviceChoice, limitBytes?: number} = {}): Promise<MachineMemory> {
    const envLimit = process.env[MEMORY_LIMIT_ENV];
    const limit = options.limitBytes ?? (envLimit ? parseByteSize(envLimit, MEMORY_LIMIT_ENV) : undefined);
    const available = Math.min(memAvailable(), limit ?? Infinity);
    let gpu: MachineMemory["gpu"];
    // Loading node-llama-cpp's GPU builds to look takes seconds; when none can load here, there is no GPU to find.
    if (options.device !== "cpu" && (options.device === "cuda" || options.device === "vulkan" || (await availableGpuBackends()).length > 0)) {
        const ggml = await Ggml.load({gpu: ggmlBuildFor(options.device)});
        const want = options.device;
        const device = ggml.devices().find((d) => (want === "cuda" || want === "vulkan" ? d.name.toLowerCase().startsWith(want) : d.kind === "gpu" || d.kind === "igpu"));
        if (device) gpu = {name: device.name, description: device.description, totalBytes: device.totalBytes, freeBytes: device.freeBytes};
    }
    return {ramTotalBytes: os.totalmem(), ramAvailableBytes: available, ...(limit !== undefined ? {ramLimitBytes: limit} : {}), ...(gpu ? {gpu} : {})};
}

function memAvailable(): number {
    try {
        const m = /^MemAvailable:\s+(\d+) kB/m.exec(fs.readFileSync("/proc/meminfo", "utf8"));
        if (m) return Number(m[1]) * 1024;
    } catch {
        // not Linux
    }
    return os.freemem();
}

/** The options the search may change, as flags. */
export type FittingOptions = {batch?: number, gradAccum?: number, maxLen?: number, layers?: number[], contextSize?: number, parallel?: number};

export type Shortfall = {stage: StageNeeds["stage"], memory: "ram" | "gpu", needBytes: number, haveBytes: number};

export type MemoryCheck = {
    plan: MemoryPlan,
    machine: MachineMemory,
    fits: boolean,
    shortfalls: Shortfall[],
    /** Option sets that would fit, smallest change first (empty when the run fits, or when nothing does). */
    suggestions: FittingOptions[]
};

export type MemoryCheckOptions = Omit<MemoryPlanOptions, "trainDevice" | "generate"> & {
    /** The trainer's and the gate's device. Defaults to `"auto"`. */
    device?: GgmlDeviceChoice,
    /** The generating stages on llama.cpp (bootstrap); `gpu: false` keeps them on the CPU. */
    generate?: {contextSize: number, parallel: number | {auto: number}, gpu: "auto" | false, records: number, answerMaxTokens: number},
    /** Counts at most this much RAM as available (also PRISM_MEMORY_LIMIT). */
    limitBytes?: number
};

/** What the run needs against what the machine has, with option sets that would fit when it does not. */
export async function checkMemory(modelPath: string, options: MemoryCheckOptions): Promise<MemoryCheck> {
    const file = await GgufFile.open(modelPath);
    const machine = await readMachineMemory({device: options.device, limitBytes: options.limitBytes});
    const planOptions = toPlanOptions(options, machine);
    const plan = estimateMemoryPlan(file, planOptions);
    const shortfalls = findShortfalls(plan, machine);
    const suggestions = shortfalls.length > 0 ? searchFittingOptions(file, planOptions, machine) : [];
    return {plan, machine, fits: shortfalls.length === 0, shortfalls, suggestions};
}

function toPlanOptions(options: MemoryCheckOptions, machine: MachineMemory): MemoryPlanOptions {
    const {device: _d, generate, limitBytes: _l, ...rest} = options;
    const onGpu = machine.gpu !== undefined ? "gpu" as const : "cpu" as const;
    return {
        ...rest, trainDevice: onGpu,
        ...(generate ? {generate: {contextSize: generate.contextSize, parallel: typeof generate.parallel === "number" ? generate.parallel : generate.gpu !== false && onGpu === "gpu" ? generate.parallel.auto : 1, records: generate.records, answerMaxTokens: generate.answerMaxTokens, device: generate.gpu === false ? "cpu" : onGpu}} : {})
    };
}

export function findShortfalls(plan: MemoryPlan, machine: MachineMemory): Shortfall[] {
    const out: Shortfall[] = [];
    for (const s of plan.stages) {
        if (s.ramBytes > machine.ramAvailableBytes) out.push({stage: s.stage, memory: "ram", needBytes: s.ramBytes, haveBytes: machine.ramAvailableBytes});
        if (s.gpuBytes > 0 && s.gpuBytes > (machine.gpu?.freeBytes ?? 0)) out.push({stage: s.stage, memory: "gpu", needBytes: s.gpuBytes, haveBytes: machine.gpu?.freeBytes ?? 0});
    }
    return out;
}

const MAX_SUGGESTIONS = 3;

/**
 * A small search over the options that shrink memory, ranked by how much they change the run: a smaller micro-batch
 * first (with accumulation keeping the sequences per step), then a shorter --max-len, then fewer adapted blocks (the
 * last ones kept); fewer parallel sequences and a shorter context for the generating stages.
 */
export function searchFittingOptions(file: GgufFile, options: MemoryPlanOptions, machine: MachineMemory): FittingOptions[] {
    const h = readModelHparams(file);
    const t = options.train;
    const perStep = t.batchSize * t.gradAccum;
    const batches = halvings(t.batchSize);
    const maxLens = [t.maxLen, ...[384, 256, 128].filter((n) => n < t.maxLen)];
    const adapted = t.layers === "all" ? h.nLayer : t.layers === "all-but-first" ? Math.max(1, h.nLayer - 1) : t.layers.length;
    const layerCounts = [adapted, ...halvings(adapted).slice(1).filter((n) => n >= 1)];
    const g = options.generate;
    const generations = g ? cartesian(halvings(g.parallel), [g.contextSize, ...[2048, 1024].filter((n) => n < g.contextSize)]).map(([parallel, contextSize]) => ({parallel, contextSize})) : [undefined];

    const candidates: {cost: number, fitting: FittingOptions, options: MemoryPlanOptions}[] = [];
    for (const [bi, batch] of batches.entries()) for (const [mi, maxLen] of maxLens.entries()) for (const [li, count] of layerCounts.entries()) for (const [gi, gen] of generations.entries()) {
        const layers = li === 0 ? t.layers : Array.from({length: count}, (_, i) => h.nLayer - count + i);
        const fitting: FittingOptions = {
            ...(bi > 0 ? {batch, gradAccum: Math.ceil(perStep / batch)} : {}), ...(mi > 0 ? {maxLen} : {}), ...(li > 0 ? {layers: layers as number[]} : {}),
            ...(gi > 0 && gen ? {parallel: gen.parallel, contextSize: gen.contextSize} : {})
        };
        candidates.push({
            cost: bi + 2 * mi + 3 * li + gi, fitting,
            options: {...options, train: {...t, batchSize: batch, gradAccum: Math.ceil(perStep / batch), maxLen, layers}, ...(g && gen ? {generate: {...g, ...gen}} : {})}
        });
    }
    candidates.sort((a, b) => a.cost - b.cost);
    const out: FittingOptions[] = [];
    for (const c of candidates) {
        if (c.cost === 0 || findShortfalls(estimateMemoryPlan(file, c.options), machine).length > 0) continue;
        // A larger change that contains a smaller fitting one adds nothing.
        if (out.some((o) => Object.entries(o).every(([k, v]) => JSON.stringify((c.fitting as Record<string, unknown>)[k]) === JSON.stringify(v)))) continue;
        out.push(c.fitting);
        if (out.length === MAX_SUGGESTIONS) break;
    }
    return out;
}

function halvings(n: number): number[] {
    const out = [n];
    for (let x = Math.floor(n / 2); x >= 1 && x < out.at(-1)!; x = Math.floor(x / 2)) out.push(x);
    return out;
}

function cartesian<A, B>(as: A[], bs: B[]): [A, B][] {
    return as.flatMap((a) => bs.map((b): [A, B] => [a, b]));
}

/** The suggestion as command-line flags. */
export function formatFittingOptions(o: FittingOptions): string {
    return [
        o.batch !== undefined ? `--batch ${o.batch} --grad-accum ${o.gradAccum}` : "", o.maxLen !== undefined ? `--max-len ${o.maxLen}` : "",
        o.layers ? `--layers ${o.layers.join(",")}` : "", o.parallel !== undefined ? `--parallel ${o.parallel}` : "",
        o.contextSize !== undefined ? `--context-size ${o.contextSize}` : ""
    ].filter(Boolean).join(" ");
}

/** Throws the refusal: what does not fit, by how much, and the options that would. */
export function assertMemoryFits(check: MemoryCheck, options: {skipFlag?: string} = {}): void {
    if (check.fits) return;
    const skip = options.skipFlag ?? "--skip-memory-check";
    const what = check.shortfalls.map((s) => `${s.stage} needs ${formatByteSize(s.needBytes)} of ${s.memory === "gpu" ? "GPU memory" : "RAM"}, ${formatByteSize(s.haveBytes)} available`).join("; ");
    const fixes = check.suggestions.map(formatFittingOptions);
    const weights = check.plan.model.weightBytes;
    throw new ResourceError("E_MEMORY", `this run does not fit in memory: ${what}${check.machine.ramLimitBytes !== undefined ? ` (limit ${formatByteSize(check.machine.ramLimitBytes)})` : ""}`, {
        hint: fixes.length > 0
            ? `options that fit: ${fixes.join("; or ")} (prism plan shows each stage's needs); ${skip} runs it anyway`
            : `no smaller --batch, --max-len or --layers fits (the frozen weights alone take ${formatByteSize(weights)}): use a smaller quantisation of the model or a machine with more memory; ${skip} runs it anyway`,
        details: {shortfalls: check.shortfalls, suggestions: check.suggestions}
    });
}
