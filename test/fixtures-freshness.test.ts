import fs from "node:fs";
import path from "node:path";
import {afterAll, describe, expect, it} from "vitest";
import {assertBuildIsFresh} from "./helpers/source-freshness.js";
import {tempDir, tinyModelCacheKey} from "./helpers/tiny-models.js";

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
});
