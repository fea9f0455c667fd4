import type {GenerateResult} from "../engine/engine.js";

/** The parts of a generation a record keeps. Aborted generations are never recorded (their chunk is discarded). */
export function finishedResult(result: GenerateResult): {text: string, finishReason: "stop" | "length", outputTokens: number} {
    if (result.finishReason === "abort") throw new Error("internal: an aborted generation reached a record");
    if (result.finishReason === "tool-calls") throw new Error("internal: a tool call reached a record (the pipeline offers no tools)");
    return {text: result.text, finishReason: result.finishReason, outputTokens: result.usage.outputTokens};
}
