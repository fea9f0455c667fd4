import type {ChatMessage} from "../engine/engine.js";
import {fillPrompt, JBB_REFUSAL_PROMPT, PAPER_REFUSAL_PROMPT, XSTEST_CLASSIFY_PROMPT, XSTEST_SYSTEM} from "./anchor-prompts.js";

/** Which refusal judge a set gets under a protocol: XSTest's three classes for XSTest under `standard`. */
export type RefusalJudgeKind = "jailbreakbench" | "xstest" | "paper";

/** The judge conversation for one response, word for word as the anchor sends it. */
export function refusalJudgeMessages(kind: RefusalJudgeKind, prompt: string, response: string): ChatMessage[] {
    switch (kind) {
        case "jailbreakbench": return [{role: "user", content: fillPrompt(JBB_REFUSAL_PROMPT, {goal: prompt, response})}];
        case "paper": return [{role: "user", content: fillPrompt(PAPER_REFUSAL_PROMPT, {prompt, response})}];
        case "xstest": return [{role: "system", content: XSTEST_SYSTEM}, {role: "user", content: fillPrompt(XSTEST_CLASSIFY_PROMPT, {question: prompt, response})}];
    }
}
