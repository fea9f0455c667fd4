import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import {makeTinyModel, type TinyModelOptions} from "../../src/model/tiny-model.js";
import {makeTinyLora, type TinyLoraOptions} from "../../src/lora/tiny-lora.js";

/** Where tests keep generated models, shared by all test files of a run (and the next run: the files are deterministic). */
export const TEST_CACHE_DIR = path.resolve(import.meta.dirname, "../../.cache/test-models");

/**
 * The sources that decide a tiny model's or adapter's bytes: every file the model writer and the adapter writer
 * import, transitively (the GGUF writer, tokenizer, chat template, quantisation, the RNG in src/util…). A change
 * to any of them makes new files instead of testing old ones.
 */
export function writerSources(entries: readonly string[] = [
    path.resolve(import.meta.dirname, "../../src/model/tiny-model.ts"),
    path.resolve(import.meta.dirname, "../../src/lora/tiny-lora.ts")
]): string[] {
    const seen = new Set<string>();
    const pending = [...entries];
    while (pending.length > 0) {
        const file = pending.pop()!;
        if (seen.has(file)) continue;
        seen.add(file);
        for (const m of fs.readFileSync(file, "utf8").matchAll(/(?:from|import\()\s*"(\.{1,2}\/[^"]+)\.js"/g))
            pending.push(path.resolve(path.dirname(file), `${m[1]}.ts`));
    }
    return [...seen].sort();
}
const WRITER_SOURCES = writerSources();

/** The cache key of `value` made by the writer in `sources`. */
export function tinyModelCacheKey(value: unknown, sources: readonly string[] = WRITER_SOURCES): string {
    const hash = crypto.createHash("sha256").update(JSON.stringify(value));
    for (const file of sources) hash.update(file).update(fs.readFileSync(file));
    return hash.digest("hex").slice(0, 16);
}

const keyOf = (value: unknown) => tinyModelCacheKey(value);

/** A tiny model made once per option set and writer version, cached on disk (written atomically, so parallel workers are safe). */
export async function tinyModel(options: TinyModelOptions = {}): Promise<string> {
    const file = path.join(TEST_CACHE_DIR, `tiny-${keyOf(options)}.gguf`);
    if (!fs.existsSync(file)) await makeTinyModel(file, options);
    return file;
}

export async function tinyLora(modelOptions: TinyModelOptions = {}, loraOptions: TinyLoraOptions = {}): Promise<{model: string, adapter: string}> {
    const model = await tinyModel(modelOptions);
    const adapter = path.join(TEST_CACHE_DIR, `lora-${keyOf([modelOptions, loraOptions])}.gguf`);
    if (!fs.existsSync(adapter)) await makeTinyLora(model, adapter, loraOptions);
    return {model, adapter};
}

/** A fresh temporary folder under the cache, removed by the caller's afterAll if wanted. */
export function tempDir(label: string): string {
    const dir = path.join(path.resolve(import.meta.dirname, "../../.cache/tmp"), `${label}-${process.pid}-${crypto.randomBytes(4).toString("hex")}`);
    fs.mkdirSync(dir, {recursive: true});
    return dir;
}
