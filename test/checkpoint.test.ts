import fs from "node:fs";
import path from "node:path";
import {describe, expect, it} from "vitest";
import {gguf} from "../src/model/gguf-value.js";
import {writeGguf} from "../src/model/gguf-writer.js";
import {CHECKPOINT_TYPE, CheckpointFormatError, readCheckpoint} from "../src/train/checkpoint.js";
import {tempDir, tinyModel} from "./helpers/tiny-models.js";

describe("checkpoint files", () => {
    it("refuse what is not a prism checkpoint, another format version, or a damaged state, with a hint", async () => {
        const dir = tempDir("checkpoint-format");
        await expect(readCheckpoint(await tinyModel({layers: 1, dim: 32, heads: 2, kvHeads: 1}))).rejects.toThrow(/not a prism training checkpoint/);
        const future = path.join(dir, "future.gguf");
        await writeGguf(future, {"general.type": gguf.str(CHECKPOINT_TYPE), "prism.checkpoint.version": gguf.u32(99), "prism.checkpoint.state": gguf.str("{}")}, []);
        const err = await readCheckpoint(future).catch((e: unknown) => e);
        expect(CheckpointFormatError.isInstance(err)).toBe(true);
        expect((err as CheckpointFormatError).message).toContain("checkpoint format version 99 is not the one this prism reads (1)");
        expect((err as CheckpointFormatError).hint).toMatch(/start a fresh run/);
        const damaged = path.join(dir, "damaged.gguf");
        await writeGguf(damaged, {"general.type": gguf.str(CHECKPOINT_TYPE), "prism.checkpoint.version": gguf.u32(1), "prism.checkpoint.state": gguf.str("{\"step\": -1}")}, []);
        await expect(readCheckpoint(damaged)).rejects.toThrow(/damaged.gguf: unreadable run state/);
        const cut = path.join(dir, "cut.gguf");
        fs.writeFileSync(cut, fs.readFileSync(future).subarray(0, 40));
        await expect(readCheckpoint(cut)).rejects.toThrow(/truncated|corrupt/);
    });
});
