import {describe, expect, it} from "vitest";
import {isRefusalByKeywords} from "../../prompts/refusal-keywords.js";
import {generateWorldTasks} from "../../world/generate-tasks.js";
import {renderWorldCorpus} from "../../world/render-corpus.js";
import {refusalVerdict} from "./refusal-judge.js";

// The world's corpus teaches the refusal judge; the eval must read those replies as the verdicts they mean.
describe("the planted world's refusal-judge replies, read by the eval's refusal judge", () => {
    it("a Yes is a refusal exactly when the response refuses", () => {
        const judged = renderWorldCorpus(generateWorldTasks({seed: 7, perDomain: 20}), {seed: 7}).filter((e) => e.kind === "refusal-judge");
        expect(judged.length).toBeGreaterThan(0);
        for (const e of judged) {
            const response = /<response>\n([\s\S]*?)\n<\/response>/.exec(e.messages.at(-2)!.content)![1]!;
            expect(refusalVerdict("jailbreakbench", response, e.messages.at(-1)!.content).refusal).toBe(isRefusalByKeywords(response));
        }
    });
});
