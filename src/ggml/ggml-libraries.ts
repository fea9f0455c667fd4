import fs from "node:fs";
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
    let found = loadedGgmlLibraries();
    if (!found) {
        await sharedLlama(options);
        found = loadedGgmlLibraries();
    }
    if (!found)
        throw new ResourceError("E_GGML_NOT_FOUND", "could not find the ggml libraries node-llama-cpp loaded", {
            hint: process.platform === "linux"
                ? "reinstall node-llama-cpp (npm ci) so its prebuilt binaries are present"
                : `prism's trainer locates ggml through /proc/self/maps, which ${process.platform} does not have; train on Linux`
        });
    return found;
}

/** The ggml libraries mapped into this process, read from /proc/self/maps (Linux); undefined when not loaded. */
export function loadedGgmlLibraries(): GgmlLibraryPaths | undefined {
    let maps: string;
    try {
        maps = fs.readFileSync("/proc/self/maps", "utf8");
    } catch {
        return undefined;
    }
    const paths = new Set(maps.split("\n").map((line) => line.slice(line.indexOf("/"))).filter((p) => p.startsWith("/")));
    const pick = (pattern: RegExp) => [...paths].find((p) => pattern.test(p.slice(p.lastIndexOf("/") + 1)));
    const base = pick(/^libggml-base(\.[\w.]*)?\.so/);
    const registry = pick(/^libggml(\.v[\d.]+)?\.so/);
    return base && registry ? {base, registry} : undefined;
}
