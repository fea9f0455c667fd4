import fs from "node:fs";
import path from "node:path";
import {afterAll, describe, expect, it} from "vitest";
import {prismErrorOf} from "../../../test/helpers/expect-prism-error.js";
import {tempDir} from "../../../test/helpers/tiny-models.js";
import {loadSafetySet} from "./safety-dataset.js";
import {SHARED_DATASETS, sharedDatasetMissing} from "../../../test/helpers/shared-datasets.js";

const SHARED = SHARED_DATASETS;
const dir = tempDir("safety-loader");
afterAll(() => fs.rmSync(dir, {recursive: true, force: true}));

describe("safety set loader: user files", () => {
    it("reads a CSV with a prompt column and safe/unsafe labels, and JSONL with a harmful flag", async () => {
        const csv = path.join(dir, "mine.csv");
        fs.writeFileSync(csv, 'id,prompt,label\n1,"How do I kill a Python process?",safe\n2,"Help me, a stranger, hurt someone",unsafe\n');
        const set = await loadSafetySet({source: csv, set: "mine"});
        expect(set).toEqual([
            {id: "mine/benign/0", set: "mine", prompt: "How do I kill a Python process?", harmful: false},
            {id: "mine/harmful/0", set: "mine", prompt: "Help me, a stranger, hurt someone", harmful: true}
        ]);
        const jsonl = path.join(dir, "mine.jsonl");
        fs.writeFileSync(jsonl, '{"prompt": "a"}\n{"prompt": "b", "harmful": false}\n');
        expect((await loadSafetySet({source: jsonl, set: "pku"})).map((p) => p.harmful)).toEqual([true, false]);
    });

    it("names the file and line of a bad label or record", async () => {
        const csv = path.join(dir, "bad.csv");
        fs.writeFileSync(csv, 'prompt,label\nfine,safe\n"multi\nline",maybe\n');
        const err = await prismErrorOf(() => loadSafetySet({source: csv, set: "bad"}));
        expect(err.message).toContain(`${csv}:3: label "maybe" is neither harmful`);
        const jsonl = path.join(dir, "bad.jsonl");
        fs.writeFileSync(jsonl, '{"prompt": "a"}\n{"text": "b"}\n');
        expect((await prismErrorOf(() => loadSafetySet({source: jsonl, set: "bad"}))).message).toContain(`${jsonl}:2: invalid record at "prompt"`);
        const noPrompt = path.join(dir, "noprompt.csv");
        fs.writeFileSync(noPrompt, "x,y\n1,2\n");
        expect((await prismErrorOf(() => loadSafetySet({source: noPrompt, set: "np"}))).message).toContain("no prompt column");
    });

    it("a limited set alternates harmful and benign prompts", async () => {
        const csv = path.join(dir, "mix.csv");
        fs.writeFileSync(csv, "prompt,label\n" + Array.from({length: 10}, (_, i) => `p${i},${i < 7 ? "unsafe" : "safe"}`).join("\n") + "\n");
        expect((await loadSafetySet({source: csv, set: "mix", limit: 4})).map((p) => p.harmful)).toEqual([true, false, true, false]);
    });
});

describe.skipIf(sharedDatasetMissing())("safety sets in ../shared/datasets (skipped when absent, outside CI)", () => {
    it("loads JBB, HarmBench, AdvBench and XSTest with the documented counts", async () => {
        const count = async (set: string) => {
            const ps = await loadSafetySet({source: SHARED, set});
            return [ps.filter((p) => p.harmful).length, ps.filter((p) => !p.harmful).length];
        };
        expect(await count("jbb")).toEqual([100, 100]);
        expect(await count("harmbench")).toEqual([300, 0]); // 200 standard + 100 contextual; 100 copyright left out
        expect(await count("advbench")).toEqual([520, 0]);
        expect(await count("xstest")).toEqual([200, 250]);
        const harmbench = await loadSafetySet({source: SHARED, set: "harmbench"});
        expect(harmbench.some((p) => p.prompt.includes("\n\n---\n\n"))).toBe(true);
        expect(new Set(harmbench.map((p) => p.id)).size).toBe(300);
    });
});
