import fs from "node:fs";
import {createRequire} from "node:module";
import path from "node:path";
import {getLlama, getLlamaGpuTypes, LlamaLogLevel, type Llama} from "node-llama-cpp";
import {ResourceError} from "../util/prism-error.js";

/** The GPU backends node-llama-cpp ships prebuilt for Linux and Windows (Metal is macOS's, built in). */
export type GpuBackendKind = "cuda" | "vulkan";

/** The ggml shared libraries of this process: libggml-base (ops, graphs, allocators) and libggml (backend registry). */
export type GgmlLibraryPaths = {base: string, registry: string};

export type LocateGgmlOptions = {
    /**
     * Which node-llama-cpp build to load when none is loaded yet: `"auto"` picks a GPU build if one works, `"cuda"`
     * or `"vulkan"` that build (an error saying what is missing when it cannot load). Defaults to `"auto"`.
     */
    gpu?: "auto" | false | GpuBackendKind
};

// Keeps the Llama that loaded the libraries alive: disposing it would free the backends our graphs run on.
let keeper: Promise<Llama> | undefined;
const gpuKeepers = new Map<GpuBackendKind, Promise<Llama>>();

/**
 * The node-llama-cpp instance prism's native work shares (loading ggml, vocabulary-only models for tokenizing).
 * Never disposed by prism; node-llama-cpp releases it when the process exits.
 */
export function sharedLlama(options: LocateGgmlOptions = {}): Promise<Llama> {
    const gpu = options.gpu ?? "auto";
    if (gpu === "cuda" || gpu === "vulkan") {
        let kept = gpuKeepers.get(gpu);
        if (!kept) {
            kept = getLlama({gpu, build: "never", logLevel: LlamaLogLevel.error}).catch(async (err: unknown) => {
                gpuKeepers.delete(gpu);
                throw await missingGpuBackendError(gpu, err);
            });
            gpuKeepers.set(gpu, kept);
        }
        return kept;
    }
    keeper ??= getLlama({gpu, build: "never", logLevel: LlamaLogLevel.error});
    keeper.catch(() => (keeper = undefined));
    return keeper;
}

/**
 * Finds the ggml libraries node-llama-cpp loaded, loading them through node-llama-cpp first if needed, so that
 * prism's graphs and llama.cpp share one ggml (and the CPU variant or GPU backend node-llama-cpp selected).
 */
export async function locateGgmlLibraries(options: LocateGgmlOptions = {}): Promise<GgmlLibraryPaths> {
    const kind = options.gpu === "cuda" || options.gpu === "vulkan" ? options.gpu : undefined;
    if (kind) {
        let build = loadedGgmlBuilds().find((b) => buildKind(b) === kind);
        if (!build) {
            await sharedLlama(options);
            build = loadedGgmlBuilds().find((b) => buildKind(b) === kind);
        }
        if (!build) throw await missingGpuBackendError(kind, new Error(`node-llama-cpp loaded, but no ${kind} ggml library is mapped`));
        return build;
    }
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
    const builds = loadedGgmlBuilds();
    return builds.find((b) => isGpuBuild(b) === preferGpu) ?? builds[0];
}

function loadedGgmlBuilds(): GgmlLibraryPaths[] {
    let maps: string;
    try {
        maps = fs.readFileSync("/proc/self/maps", "utf8");
    } catch {
        return [];
    }
    const paths = [...new Set(maps.split("\n").map((line) => line.slice(line.indexOf("/"))).filter((p) => p.startsWith("/")))];
    const builds: GgmlLibraryPaths[] = [];
    for (const base of paths.filter((p) => /^libggml-base(\.[\w.]*)?\.so/.test(path.basename(p)))) {
        const registry = paths.find((p) => path.dirname(p) === path.dirname(base) && /^libggml(\.v[\d.]+)?\.so/.test(path.basename(p)));
        if (registry) builds.push({base, registry});
    }
    return builds;
}

function isGpuBuild(b: GgmlLibraryPaths): boolean {
    return /cuda|vulkan|metal|rocm|hip/i.test(path.dirname(b.base));
}

function buildKind(b: GgmlLibraryPaths): GpuBackendKind | undefined {
    const dir = path.dirname(b.base);
    return /cuda/i.test(dir) ? "cuda" : /vulkan/i.test(dir) ? "vulkan" : undefined;
}

/** The GPU backends whose node-llama-cpp build can load on this machine. */
export async function availableGpuBackends(): Promise<GpuBackendKind[]> {
    const supported: unknown[] = await getLlamaGpuTypes("supported").catch(() => []);
    return supported.filter((k): k is GpuBackendKind => k === "cuda" || k === "vulkan");
}

/** Why a GPU backend is unavailable here, and what would make it available (which backends do load, asked of node-llama-cpp). */
export async function missingGpuBackendError(kind: GpuBackendKind, cause: unknown): Promise<ResourceError> {
    const reason = cause instanceof Error && cause.message !== cause.name && cause.message !== cause.constructor.name ? cause.message : "no prebuilt binary of it is compatible with this system";
    return gpuBackendError(kind, reason, ["cpu", ...await availableGpuBackends()], cause);
}

export function gpuBackendError(kind: GpuBackendKind, reason: string, available: string[], cause?: unknown): ResourceError {
    const name = kind === "cuda" ? "CUDA" : "Vulkan";
    const pkg = `@node-llama-cpp/${process.platform}-${process.arch}-${kind}`;
    const installed = isInstalled(pkg);
    const needs = kind === "cuda"
        ? "an NVIDIA GPU with its driver (libcuda) and the CUDA 12 runtime (the CUDA toolkit, or node-llama-cpp's -cuda-ext package)"
        : "a GPU with a Vulkan driver (libvulkan1 and the vendor's ICD, e.g. apt-get install libvulkan1 mesa-vulkan-drivers)";
    return new ResourceError("E_NO_DEVICE", `the ${name} backend is not available: node-llama-cpp's ${name} build (${pkg}) ${installed ? "is installed but cannot run here" : "is not installed"}` +
        ` (${reason}); backends available: ${available.join(", ")}`, {
        cause,
        hint: `${installed ? "" : `install node-llama-cpp with its optional packages (npm ci) to get ${pkg}; `}it needs ${needs}; \`npx node-llama-cpp inspect gpu\` shows what it finds; or use --device cpu (or auto)`,
        details: {backend: kind, package: pkg, installed, available}
    });
}

function isInstalled(pkg: string): boolean {
    // The package's exports may hide package.json from resolve: look for its folder where Node would.
    const dirs = createRequire(import.meta.url).resolve.paths(pkg) ?? [];
    return dirs.some((dir) => fs.existsSync(path.join(dir, pkg, "package.json")));
}
