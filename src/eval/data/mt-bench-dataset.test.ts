import fs from "node:fs";
import path from "node:path";
import {afterAll, describe, expect, it} from "vitest";
import {prismErrorOf} from "../../../test/helpers/expect-prism-error.js";
import {tempDir} from "../../../test/helpers/tiny-models.js";
import {mtBenchJudgeMessages} from "../judge/mt-bench-judge-prompt.js";
import {loadMtBench, MT_BENCH_CATEGORIES} from "./mt-bench-dataset.js";
import {SHARED_DATASETS, sharedDatasetMissing} from "../../../test/helpers/shared-datasets.js";

const SHARED = path.join(SHARED_DATASETS, "mt_bench");
const dir = tempDir("mt-bench-loader");
afterAll(() => fs.rmSync(dir, {recursive: true, force: true}));

describe("MT-Bench loader", () => {
    it("names the file and line of a question without two turns", async () => {
        fs.writeFileSync(path.join(dir, "question.jsonl"), '{"question_id": 1, "category": "math", "turns": ["a", "b"]}\n{"question_id": 2, "category": "math", "turns": ["only one"]}\n');
        const err = await prismErrorOf(() => loadMtBench({dir}));
        expect(err.message).toContain(`${path.join(dir, "question.jsonl")}:2: invalid record at "turns"`);
    });

    it("needs the four single-answer judge prompts", async () => {
        fs.writeFileSync(path.join(dir, "question.jsonl"), '{"question_id": 1, "category": "math", "turns": ["a", "b"]}\n');
        fs.writeFileSync(path.join(dir, "judge_prompts.jsonl"), '{"name": "single-v1", "type": "single", "system_prompt": "s", "prompt_template": "t"}\n');
        const err = await prismErrorOf(() => loadMtBench({dir}));
        expect(err.code).toBe("E_JUDGE_PROMPTS");
        expect(err.message).toContain("single-math-v1, single-v1-multi-turn, single-math-v1-multi-turn");
    });
});

describe.skipIf(sharedDatasetMissing("mt_bench"))("MT-Bench in ../shared/datasets (skipped when absent, outside CI)", () => {
    it("loads 80 two-turn questions in 8 categories, with GPT-4 references for math, reasoning and coding", async () => {
        const {questions, judgePrompts} = await loadMtBench({dir: SHARED});
        expect(questions.length).toBe(80);
        expect(new Set(questions.map((q) => q.category))).toEqual(new Set(MT_BENCH_CATEGORIES));
        for (const q of questions.filter((q) => ["math", "reasoning", "coding"].includes(q.category))) expect(q.reference?.length).toBe(2);
        expect(judgePrompts.size).toBe(8);
    });

    it("builds FastChat's judge prompts: reference-based for math, general otherwise, whole conversation for turn 2", async () => {
        const {questions, judgePrompts} = await loadMtBench({dir: SHARED, limit: 16});
        expect(questions.length).toBe(16);
        const math = questions.find((q) => q.category === "math")!;
        const writing = questions.find((q) => q.category === "writing")!;
        const m1 = mtBenchJudgeMessages(math, ["ANSWER ONE {answer}", "ANSWER TWO"], 1, judgePrompts);
        expect(m1.promptName).toBe("single-math-v1");
        expect(m1.messages[1]!.content).toContain(math.reference![0]!);
        expect(m1.messages[1]!.content).toContain("ANSWER ONE {answer}");
        const w2 = mtBenchJudgeMessages(writing, ["FIRST", "SECOND"], 2, judgePrompts);
        expect(w2.promptName).toBe("single-v1-multi-turn");
        expect(w2.messages[0]!.content).toContain("second user question");
        expect(w2.messages[1]!.content).toMatch(/FIRST[\s\S]*SECOND/);
        expect(w2.messages[1]!.content).not.toMatch(/\{(question|answer)_\d\}/);
    });
});
