import type {FinishReason, ObjectRequest, PrismEngine, Usage} from "../engine/engine.js";
import {PrismError} from "../util/prism-error.js";

/**
 * A `response_format` answer: the engine's schema-constrained generation, with OpenAI's semantics when `max_tokens`
 * cuts the JSON short: the cut text with finish reason "length", not an error (the client asked for at most that many
 * tokens). Other failures (output that is not the schema's JSON) still throw.
 */
export async function schemaCompletion(engine: PrismEngine, request: ObjectRequest): Promise<{text: string, usage: Usage, finishReason: FinishReason}> {
    try {
        const r = await engine.generateObject(request);
        return {text: r.text, usage: r.usage, finishReason: "stop"};
    } catch (err) {
        const cut = PrismError.isInstance(err) && err.code === "E_SCHEMA_GENERATION" ? (err as PrismError & {cutByLength?: Usage, text?: string}) : undefined;
        if (cut?.cutByLength && typeof cut.text === "string") return {text: cut.text, usage: cut.cutByLength, finishReason: "length"};
        throw err;
    }
}
