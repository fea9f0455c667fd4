import fs from "node:fs";
import path from "node:path";
import {afterAll, describe, expect, it} from "vitest";
import {tempDir} from "../../../test/helpers/tiny-models.js";
import {prismErrorOf} from "../../../test/helpers/expect-prism-error.js";
import {loadMmlu} from "./mmlu-dataset.js";
import {mmluPrompt} from "./mmlu-prompt.js";
import {MMLU_SUBJECTS} from "./mmlu-subjects.js";
import {groupBy} from "./round-robin.js";
import {SHARED_DATASETS, sharedDatasetMissing} from "../../../test/helpers/shared-datasets.js";

const SHARED = path.join(SHARED_DATASETS, "mmlu");
const dir = tempDir("mmlu-loader");
afterAll(() => fs.rmSync(dir, {recursive: true, force: true}));

function write(name: string): string {
    const sub = path.join(dir, name);
    fs.mkdirSync(path.join(sub, "test"), {recursive: true});
    return sub;
}

describe("MMLU loader", () => {
    it("reads the HF layout (header, index answers) and the original layout (no header, letters) alike", () => {
        const hf = write("hf");
        fs.writeFileSync(path.join(hf, "test", "anatomy_test.csv"), 'question,choice0,choice1,choice2,choice3,answer\n"What, exactly?",a,b,c,d,2\nSecond,e,f,g,h,0\n');
        const orig = write("orig");
        fs.writeFileSync(path.join(orig, "test", "anatomy_test.csv"), '"What, exactly?",a,b,c,d,C\nSecond,e,f,g,h,A\n');
        const a = loadMmlu({dir: hf}), b = loadMmlu({dir: orig});
        expect(a).toEqual(b);
        expect(a[0]).toEqual({id: "mmlu/anatomy/0", subject: "anatomy", category: "stem", question: "What, exactly?", choices: ["a", "b", "c", "d"], answer: 2});
    });

    it("names the file and line of a bad record, counting lines inside quoted multi-line fields", async () => {
        const bad = write("bad");
        const file = path.join(bad, "test", "virology_test.csv");
        fs.writeFileSync(file, 'question,choice0,choice1,choice2,choice3,answer\n"two\nlines",a,b,c,d,1\nok,a,b,c,d,7\n');
        const err = await prismErrorOf(() => loadMmlu({dir: bad}));
        expect(err.code).toBe("E_DATA_FORMAT");
        expect(err.message).toContain(`${file}:4`);
        expect(err.message).toContain('answer "7" is not an index 0-3');
        fs.writeFileSync(file, 'question,choice0,choice1,choice2,choice3,answer\nok,a,b,c,d,1\nshort,a,b,1\n');
        expect((await prismErrorOf(() => loadMmlu({dir: bad}))).message).toMatch(/virology_test\.csv:3: expected 6 fields/);
    });

    it("rejects unknown subjects with the list of known ones, and a folder without MMLU files", async () => {
        const hf = path.join(dir, "hf");
        const err = await prismErrorOf(() => loadMmlu({dir: hf, subjects: ["astrology"]}));
        expect(err.exitCode).toBe(2);
        expect(err.hint).toContain("anatomy");
        expect((await prismErrorOf(() => loadMmlu({dir: path.join(dir, "nowhere")}))).code).toBe("E_MISSING_FILE");
    });

    it("formats lm-eval's MMLU prompt: description, shots joined by a blank line with \" \" before the target, doc_to_text", () => {
        // lm_eval/tasks/mmlu/default/_default_template_yaml:7 doc_to_text, mmlu_anatomy.yaml:2 description,
        // lm_eval/config/task.py:112-113 target_delimiter " " and fewshot_delimiter "\n\n".
        const [q] = loadMmlu({dir: path.join(dir, "hf")});
        const prompt = mmluPrompt({...q!, question: "  What, exactly? "}, [{...q!, question: "Shot?", answer: 1}]);
        expect(prompt).toBe("The following are multiple choice questions (with answers) about anatomy.\n\n" +
            "Shot?\nA. a\nB. b\nC. c\nD. d\nAnswer: B\n\nWhat, exactly?\nA. a\nB. b\nC. c\nD. d\nAnswer:");
        // The paper's header (zizhao-hu/PRISM prism/eval/eval_mmlu.py:69), and a persona first as lm-eval's --system_instruction.
        expect(mmluPrompt(q!, [], "The following is a multiple choice question about {subject}.\n\n", "You are a doctor."))
            .toBe("You are a doctor.\n\nThe following is a multiple choice question about anatomy.\n\nWhat, exactly?\nA. a\nB. b\nC. c\nD. d\nAnswer:");
    });
});

describe.skipIf(sharedDatasetMissing("mmlu"))("MMLU in ../shared/datasets (skipped when absent, outside CI)", () => {
    it("loads all 57 subjects, 14,042 test and 285 dev questions", () => {
        const test = loadMmlu({dir: SHARED});
        expect(test.length).toBe(14042);
        expect(new Set(test.map((q) => q.subject))).toEqual(new Set(MMLU_SUBJECTS));
        expect(loadMmlu({dir: SHARED, split: "dev"}).length).toBe(285);
        expect(loadMmlu({dir: SHARED, subjects: ["professional_law"]}).length).toBe(1534);
    });

    it("a limited run covers all four categories evenly", () => {
        const qs = loadMmlu({dir: SHARED, limit: 20});
        expect(qs.length).toBe(20);
        expect([...groupBy(qs, (q) => q.category).values()].map((c) => c.length)).toEqual([5, 5, 5, 5]);
        expect(new Set(qs.map((q) => q.subject)).size).toBe(20);
    });
});
