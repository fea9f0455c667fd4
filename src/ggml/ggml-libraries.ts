import fs from "node:fs";
import path from "node:path";
import {getLlama, LlamaLogLevel, type Llama} from "node-llama-cpp";
import {ResourceError} from "../util/prism-error.js";

/** The ggml shared libraries of this process: libggml-base (ops, graphs, allocators) and libggml (backend registry). */
export type GgmlLibraryPaths = {base: string, registry: string};

export type LocateGgmlOptions = {
    /** Which node-llama-cpp build to load when none is loaded yet: `"auto"` picks a GPU build if one works. Defaults to `"auto"`. */
    gpu?: "auto" | false
};

// Keeps the Llama that loaded the libraries alive: disposing it would free the backends our graphs run on.
let keeper: Promise<Llama> | undefined;

/**
 * The node-llama-cpp instance prism's native work shares (loading ggml, vocabulary-only models for tokenizing).
 * Never disposed by prism; node-llama-cpp releases it when the process exits.
 */
export function sharedLlama(options: LocateGgmlOptions = {}): Promise<Llama> {
    keeper ??= getLlama({gpu: options.gpu ?? "auto", build: "never", logLevel: LlamaLogLevel.error});
    keeper.catch(() => (keeper = undefined));
    return keeper;
}

/**
 * Finds the ggml libraries node-llama-cpp loaded, loading them through node-llama-cpp first if needed, so that
 * prism's graphs and llama.cpp share one ggml (and the CPU variant or GPU backend node-llama-cpp selected).
 */
export async function locateGgmlLibraries(options: LocateGgmlOptions = {}): Promise<GgmlLibraryPaths> {
    const preferGpu = options.gpu !== false;
    let found = loadedGgmlLibraries(preferGpu);
    if (!found || (preferGpu && !isGpuBuild(found))) {
        await sharedLlama(options);
        found = loadedGgmlLibraries(preferGpu);
    }
    if (!found)
        throw new ResourceError("E_GGML_NOT_FOUND", "could not find the ggml libraries node-llama-cpp loaded", {
            hint: process.platform === "linux"
                ? "reinstall node-llama-cpp (npm ci) so its prebuilt binaries are present"
                : `prism's trainer locates ggml through /proc/self/maps, which ${process.platform} does not have; train on Linux`
        });
    return found;
}

/**
 * The ggml libraries mapped into this process, read from /proc/self/maps (Linux); undefined when none are. Two
 * node-llama-cpp builds can be loaded at once (say a CPU one for a vocabulary-only tokenizer and a CUDA one for the
 * engine): each build's folder holds its own pair, and a GPU build is preferred unless `preferGpu` is false.
 */
export function loadedGgmlLibraries(preferGpu = true): GgmlLibraryPaths | undefined {
    let maps: string;
    try {
        maps = fs.readFileSync("/proc/self/maps", "utf8");
    } catch {
        return undefined;
    }
    const paths = [...new Set(maps.split("\n").map((line) => line.slice(line.indexOf("/"))).filter((p) => p.startsWith("/")))];
    const builds: GgmlLibraryPaths[] = [];
    for (const base of paths.filter((p) => /^libggml-base(\.[\w.]*)?\.so/.test(path.basename(p)))) {
        const registry = paths.find((p) => path.dirname(p) === path.dirname(base) && /^libggml(\.v[\d.]+)?\.so/.test(path.basename(p)));
        if (registry) builds.push({base, registry});
    }
    return builds.find((b) => isGpuBuild(b) === preferGpu) ?? builds[0];
}

function isGpuBuild(b: GgmlLibraryPaths): boolean {
    return /cuda|vulkan|metal|rocm|hip/i.test(path.dirname(b.base));
}
