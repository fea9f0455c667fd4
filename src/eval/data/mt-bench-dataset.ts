import fs from "node:fs";
import path from "node:path";
import {z} from "zod";
import {readJsonl} from "../../util/jsonl.js";
import {InvalidInputError, MissingFileError} from "../../util/prism-error.js";
import {groupBy, roundRobin} from "./round-robin.js";

/** MT-Bench's eight categories, in the paper's order. */
export const MT_BENCH_CATEGORIES = ["writing", "roleplay", "reasoning", "math", "coding", "extraction", "stem", "humanities"] as const;
export type MtBenchCategory = typeof MT_BENCH_CATEGORIES[number];

/** Categories FastChat grades against a reference answer (its `NEED_REF_CATS`). */
export const REFERENCE_CATEGORIES: readonly string[] = ["math", "reasoning", "coding"];

const QuestionRecord = z.object({
    question_id: z.number().int(),
    category: z.string().min(1),
    turns: z.array(z.string()).length(2, "MT-Bench questions have exactly 2 turns"),
    reference: z.array(z.string()).optional()
});

const ReferenceRecord = z.object({
    question_id: z.number().int(),
    choices: z.array(z.object({turns: z.array(z.string()).min(1)})).min(1)
});

const JudgePromptRecord = z.object({
    name: z.string(),
    type: z.string(),
    system_prompt: z.string(),
    prompt_template: z.string(),
    output_format: z.string().optional()
});
export type JudgePrompt = z.infer<typeof JudgePromptRecord>;

export type MtBenchQuestion = {
    /** `mt-bench/<question_id>`. */
    id: string,
    questionId: number,
    category: string,
    turns: [string, string],
    /** Reference answers per turn (GPT-4's, from `reference_answer/gpt-4.jsonl`, else the question's own). */
    reference?: string[]
};

export type LoadMtBenchOptions = {
    /** The folder with `question.jsonl`, `judge_prompts.jsonl` and `reference_answer/gpt-4.jsonl`. */
    dir: string,
    /** Only these categories. Defaults to all. */
    categories?: readonly string[],
    /** At most this many questions, taken round-robin across categories. Defaults to all. */
    limit?: number
};

export type MtBenchData = {questions: MtBenchQuestion[], judgePrompts: Map<string, JudgePrompt>};

/** The four single-answer grading prompts FastChat uses (general and reference-based, first and second turn). */
export const SINGLE_JUDGE_PROMPTS = ["single-v1", "single-math-v1", "single-v1-multi-turn", "single-math-v1-multi-turn"] as const;

export async function loadMtBench(options: LoadMtBenchOptions): Promise<MtBenchData> {
    const questionFile = path.join(options.dir, "question.jsonl");
    const records = await readJsonl(questionFile, QuestionRecord);
    const referenceFile = path.join(options.dir, "reference_answer", "gpt-4.jsonl");
    const references = new Map<number, string[]>();
    if (fs.existsSync(referenceFile))
        for (const r of await readJsonl(referenceFile, ReferenceRecord)) references.set(r.question_id, r.choices[0]!.turns);
    const judgePrompts = await loadJudgePrompts(path.join(options.dir, "judge_prompts.jsonl"));
    let questions: MtBenchQuestion[] = records.map((r) => ({
        id: `mt-bench/${r.question_id}`, questionId: r.question_id, category: r.category, turns: r.turns as [string, string],
        reference: references.get(r.question_id) ?? r.reference
    }));
    if (options.categories) {
        const wanted = new Set(options.categories);
        questions = questions.filter((q) => wanted.has(q.category));
    }
    if (options.limit !== undefined) questions = roundRobin([...groupBy(questions, (q) => q.category).values()], options.limit);
    return {questions, judgePrompts};
}

export async function loadJudgePrompts(filePath: string): Promise<Map<string, JudgePrompt>> {
    if (!fs.existsSync(filePath)) throw new MissingFileError(filePath, "MT-Bench judge prompts", {hint: "MT-Bench needs FastChat's judge_prompts.jsonl beside question.jsonl"});
    const prompts = new Map((await readJsonl(filePath, JudgePromptRecord)).map((p) => [p.name, p]));
    const missing = SINGLE_JUDGE_PROMPTS.filter((name) => !prompts.has(name));
    if (missing.length > 0)
        throw new InvalidInputError("E_JUDGE_PROMPTS", `${filePath} lacks the judge prompt${missing.length > 1 ? "s" : ""} ${missing.join(", ")}`,
            {hint: "use FastChat's fastchat/llm_judge/data/judge_prompts.jsonl", details: {path: filePath, missing}});
    return prompts;
}
