import type {GenerateResult, RouteInfo, StreamPart, ToolCall} from "./engine.js";

/**
 * Runs a generation's stream to its end and gathers the parts into one result (with the route, when a router sent
 * one, and the tool calls, when the model made any); `onDelta` sees the text as it comes, `onRoute` the route before it.
 */
export async function collectStream(parts: AsyncIterable<StreamPart>, options: {onDelta?(delta: string): void, onRoute?(route: RouteInfo): void} = {}): Promise<GenerateResult> {
    let text = "";
    let route: RouteInfo | undefined;
    const toolCalls: ToolCall[] = [];
    for await (const part of parts) {
        if (part.type === "text-delta") {
            text += part.delta;
            options.onDelta?.(part.delta);
        } else if (part.type === "route") {
            route = part.route;
            options.onRoute?.(route);
        } else if (part.type === "tool-call") toolCalls.push({toolCallId: part.toolCallId, toolName: part.toolName, input: part.input});
        else if (part.type === "finish") {
            return {text, finishReason: part.finishReason, usage: part.usage, adapter: part.adapter, ...(toolCalls.length > 0 ? {toolCalls} : {}), ...(route ? {route} : {})};
        }
    }
    throw new Error("the generation stream ended without a finish part");
}
