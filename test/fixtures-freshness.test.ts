import fs from "node:fs";
import path from "node:path";
import {afterAll, describe, expect, it} from "vitest";
import {assertBuildIsFresh} from "./helpers/source-freshness.js";
import type * as TinyModels from "./helpers/tiny-models.js";
import {tempDir, tinyModelCacheKey, writerSources} from "./helpers/tiny-models.js";

const root = path.resolve(import.meta.dirname, "..");
const dir = tempDir("freshness");
afterAll(() => fs.rmSync(dir, {recursive: true, force: true}));

function write(file: string, text: string, mtimeS: number) {
    fs.mkdirSync(path.dirname(file), {recursive: true});
    fs.writeFileSync(file, text);
    fs.utimesSync(file, mtimeS, mtimeS);
}

describe("test fixtures that cannot go stale", () => {
    it("refuses a dist/ older than its sources, and accepts a fresh one", () => {
        const src = path.join(dir, "src"), dist = path.join(dir, "dist");
        write(path.join(src, "cli", "main.ts"), "export {};", 1000);
        write(path.join(dist, "cli", "main.js"), "export {};", 2000);
        expect(() => assertBuildIsFresh(src, dist)).not.toThrow();
        write(path.join(src, "model", "tiny-model.ts"), "export const changed = 1;", 3000);
        expect(() => assertBuildIsFresh(src, dist)).toThrow(/older than .*npm run build/);
        // Test files are not built into dist/.
        write(path.join(src, "model", "tiny-model.ts"), "export const changed = 1;", 1500);
        write(path.join(src, "model", "tiny-model.test.ts"), "", 5000);
        expect(() => assertBuildIsFresh(src, dist)).not.toThrow();
        expect(() => assertBuildIsFresh(src, path.join(dir, "nowhere"))).toThrow(/does not exist/);
    });

    it("keys cached tiny models by the writer's source as well as the options", () => {
        const writer = path.join(dir, "writer.ts");
        fs.writeFileSync(writer, "export const version = 1;");
        const before = tinyModelCacheKey({layers: 2}, [writer]);
        expect(tinyModelCacheKey({layers: 2}, [writer])).toBe(before);
        expect(tinyModelCacheKey({layers: 3}, [writer])).not.toBe(before);
        fs.writeFileSync(writer, "export const version = 2;");
        expect(tinyModelCacheKey({layers: 2}, [writer])).not.toBe(before);
    });

    it("keys them by every file the writers import, not only src/model", () => {
        const sources = writerSources().map((f) => path.relative(root, f));
        for (const f of ["src/model/tiny-model.ts", "src/model/gguf-writer.ts", "src/model/byte-bpe.ts", "src/model/chatml.ts", "src/lora/tiny-lora.ts", "src/lora/gguf-lora.ts", "src/util/rng.ts"])
            expect(sources).toContain(f);
    });

    it("a changed model or adapter writer invalidates cached tiny models: the next call writes new files", async () => {
        // A copy of the tree, so its writer can change: the helper keys by the sources beside it.
        const tree = path.join(dir, "tree");
        fs.cpSync(path.join(root, "src"), path.join(tree, "src"), {recursive: true});
        fs.mkdirSync(path.join(tree, "test", "helpers"), {recursive: true});
        fs.copyFileSync(path.join(root, "test", "helpers", "tiny-models.ts"), path.join(tree, "test", "helpers", "tiny-models.ts"));
        const helper = await import(path.join(tree, "test", "helpers", "tiny-models.ts")) as typeof TinyModels;
        const options = {layers: 1, dim: 32, heads: 2, kvHeads: 1};
        const first = await helper.tinyLora(options, {rank: 2});
        expect(first.model.startsWith(path.join(tree, ".cache", "test-models"))).toBe(true);
        expect(await helper.tinyLora(options, {rank: 2})).toEqual(first);

        fs.appendFileSync(path.join(tree, "src", "lora", "gguf-lora.ts"), "\n// the adapter writer changed\n");
        const adapterChanged = await helper.tinyLora(options, {rank: 2});
        expect(adapterChanged.adapter).not.toBe(first.adapter);
        expect(fs.existsSync(adapterChanged.adapter)).toBe(true);

        fs.appendFileSync(path.join(tree, "src", "model", "gguf-writer.ts"), "\n// the model writer changed\n");
        const modelChanged = await helper.tinyModel(options);
        expect(modelChanged).not.toBe(first.model);
        expect(modelChanged).not.toBe(adapterChanged.model);
        expect(fs.existsSync(modelChanged)).toBe(true);
    });

    it("the CLI tests' helper refuses a stale dist/ as soon as a test imports it", async () => {
        // Copies of the helper beside a fake src/ and dist/: it checks the tree it sits in.
        const tree = (name: string, sourceMtime: number) => {
            const t = path.join(dir, name);
            for (const f of ["run-cli.ts", "source-freshness.ts"]) {
                fs.mkdirSync(path.join(t, "test", "helpers"), {recursive: true});
                fs.copyFileSync(path.join(root, "test", "helpers", f), path.join(t, "test", "helpers", f));
            }
            write(path.join(t, "dist", "cli", "main.js"), "", 2000);
            write(path.join(t, "src", "cli", "main.ts"), "", sourceMtime);
            return path.join(t, "test", "helpers", "run-cli.ts");
        };
        await expect(import(tree("stale", 3000))).rejects.toThrow(/older than .*npm run build/);
        await expect(import(tree("fresh", 1000))).resolves.toHaveProperty("runCli");
    });
});
