import type {GenerateResult, StreamPart} from "./engine.js";

/** Runs a generation's stream to its end and gathers the parts into one result; `onDelta` sees the text as it comes. */
export async function collectStream(parts: AsyncIterable<StreamPart>, options: {onDelta?(delta: string): void} = {}): Promise<GenerateResult> {
    let text = "";
    for await (const part of parts) {
        if (part.type === "text-delta") {
            text += part.delta;
            options.onDelta?.(part.delta);
        } else if (part.type === "finish") return {text, finishReason: part.finishReason, usage: part.usage, adapter: part.adapter};
    }
    throw new Error("the generation stream ended without a finish part");
}
