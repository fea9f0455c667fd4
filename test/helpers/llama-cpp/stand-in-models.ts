/**
 * Model files prism did not write: random-initialised models written by llama.cpp's own GGUF writer (gguf-py) with
 * the real tokenizers and chat templates of the llama.cpp release node-llama-cpp bundles, then quantised by
 * libllama's `llama_model_quantize`. A reader tested only against prism's own writer proves little; these are shaped
 * like the files publishers ship (K-quants, split shards, rope scaling keys, rope_freqs, tied embeddings, MoE).
 */
import {execFileSync} from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import {quantizeWithLlamaCpp, type LlamaCppQuant} from "./llama-quantize.js";

const CACHE_DIR = path.resolve(import.meta.dirname, "../../../.cache/llama-cpp");
const WRITER_SCRIPT = path.join(import.meta.dirname, "write-stand-in.py");

export type StandInSpec = {
    arch: "llama" | "qwen2" | "qwen2moe",
    layers: number,
    dim: number,
    heads: number,
    kvHeads: number,
    ff: number,
    /** A vocabulary file of the bundled release's models/ folder, without `ggml-vocab-` and `.gguf`: "qwen2", "llama-bpe", … */
    vocab: string,
    /** A chat template of models/templates/, without `.jinja`: "Qwen-Qwen2.5-7B-Instruct", "meta-llama-Llama-3.1-8B-Instruct", … */
    chatTemplate?: string,
    /** Storage of the matrices as written (norms and biases stay F32). Defaults to `"f32"`. */
    dtype?: "f32" | "f16",
    /** Then quantised by llama.cpp. */
    quant?: LlamaCppQuant,
    ropeTheta?: number,
    rmsEps?: number,
    contextLength?: number,
    ropeScaling?: {type: "linear" | "yarn" | "longrope", factor: number, originalContext?: number, attnFactor?: number},
    /** A llama3-style `rope_freqs.weight`. */
    ropeFreqs?: boolean,
    tiedEmbeddings?: boolean,
    moe?: {experts: number, used: number, ff: number, sharedFf: number},
    /** Split into shards of at most this many tensors (`…-00001-of-0000N.gguf`). */
    splitMaxTensors?: number,
    seed?: number
};

/** The llama.cpp release node-llama-cpp was built from, checked out once from the git bundle it ships. */
export function llamaCppCheckout(): string {
    const bundle = path.resolve(import.meta.dirname, "../../../node_modules/node-llama-cpp/llama/gitRelease.bundle");
    if (!fs.existsSync(bundle)) throw new Error(`node-llama-cpp's llama.cpp bundle is missing (${bundle}): reinstall with npm ci`);
    const head = execFileSync("git", ["bundle", "list-heads", bundle], {encoding: "utf8"}).split(/\s/, 1)[0]!;
    const dir = path.join(CACHE_DIR, `llama.cpp-${head.slice(0, 12)}`);
    if (!fs.existsSync(path.join(dir, "gguf-py"))) {
        const tmp = `${dir}.tmp-${process.pid}-${crypto.randomBytes(4).toString("hex")}`;
        fs.mkdirSync(CACHE_DIR, {recursive: true});
        execFileSync("git", ["clone", "--quiet", "-c", "advice.detachedHead=false", bundle, tmp], {stdio: "ignore"});
        try {
            fs.renameSync(tmp, dir);
        } catch (err) {
            fs.rmSync(tmp, {recursive: true, force: true}); // another worker got there first
            if (!fs.existsSync(dir)) throw err;
        }
    }
    return dir;
}

let python: string | undefined;

/** A Python with numpy and PyYAML, which gguf-py needs (`.ci/run` installs Debian's when the default lacks them). */
export function pythonForGgufPy(): string {
    if (python) return python;
    const candidates = [process.env.PRISM_PYTHON, "python3", "/usr/bin/python3"].filter((p): p is string => Boolean(p));
    for (const candidate of candidates) {
        try {
            execFileSync(candidate, ["-c", "import numpy, yaml"], {stdio: "ignore"});
            return (python = candidate);
        } catch {
            // try the next
        }
    }
    throw new Error(`no Python with numpy and PyYAML for llama.cpp's gguf-py (tried ${candidates.join(", ")}): apt-get install python3-numpy python3-yaml, or set PRISM_PYTHON`);
}

/**
 * A stand-in model file for `spec`, made once and cached under .cache/llama-cpp, keyed by the spec, the writer
 * script and the llama.cpp release, so a change to any of them makes a new file. Returns the path of the file (of the
 * first shard, for split files).
 */
export async function standInModel(spec: StandInSpec): Promise<string> {
    const checkout = llamaCppCheckout();
    const key = crypto.createHash("sha256").update(JSON.stringify(spec)).update(fs.readFileSync(WRITER_SCRIPT))
        .update(path.basename(checkout)).update(fs.readFileSync(path.join(import.meta.dirname, "llama-quantize.ts"))).digest("hex").slice(0, 16);
    const dir = path.join(CACHE_DIR, "models", `${spec.arch}-${key}`);
    const name = (suffix: string) => path.join(dir, `${spec.arch}-${spec.quant ?? spec.dtype ?? "f32"}${suffix}.gguf`);
    const first = spec.splitMaxTensors ? shardPaths(name(""))[0] : name("");
    if (first && fs.existsSync(path.join(dir, "done"))) return first;

    const tmp = `${dir}.tmp-${process.pid}-${crypto.randomBytes(4).toString("hex")}`;
    fs.mkdirSync(tmp, {recursive: true});
    try {
        const written = path.join(tmp, spec.quant ? "source.gguf" : path.basename(name("")));
        const models = path.join(checkout, "models");
        const args = {
            ...spec, out: written,
            vocabFile: path.join(models, `ggml-vocab-${spec.vocab}.gguf`),
            chatTemplateFile: spec.chatTemplate ? path.join(models, "templates", `${spec.chatTemplate}.jinja`) : undefined,
            splitMaxTensors: spec.quant ? 0 : spec.splitMaxTensors ?? 0
        };
        execFileSync(pythonForGgufPy(), [WRITER_SCRIPT, JSON.stringify(args)], {
            env: {...process.env, PYTHONPATH: path.join(checkout, "gguf-py"), NO_LOCAL_GGUF: ""}, stdio: ["ignore", "ignore", "pipe"]
        });
        if (spec.quant) {
            await quantizeWithLlamaCpp(written, path.join(tmp, path.basename(name(""))), spec.quant, {keepSplit: false});
            fs.rmSync(written);
            if (spec.splitMaxTensors) throw new Error("stand-in: split quantised files are not made here; split an f32/f16 file instead");
        }
        fs.writeFileSync(path.join(tmp, "done"), "");
        try {
            fs.renameSync(tmp, dir);
        } catch (err) {
            if (!fs.existsSync(path.join(dir, "done"))) throw err;
            fs.rmSync(tmp, {recursive: true, force: true});
        }
    } catch (err) {
        fs.rmSync(tmp, {recursive: true, force: true});
        throw err;
    }
    const made = spec.splitMaxTensors ? shardPaths(name(""))[0] : name("");
    if (!made || !fs.existsSync(made)) throw new Error(`stand-in: gguf-py wrote no ${made ?? name("")}`);
    return made;
}

/** The shards gguf-py wrote for `file` (`name-00001-of-0000N.gguf`, …), in order. */
export function shardPaths(file: string): string[] {
    const dir = path.dirname(file);
    if (!fs.existsSync(dir)) return [];
    const stem = path.basename(file, ".gguf");
    return fs.readdirSync(dir).filter((f) => f.startsWith(`${stem}-`) && /-\d{5}-of-\d{5}\.gguf$/.test(f)).sort().map((f) => path.join(dir, f));
}
