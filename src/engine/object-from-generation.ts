import {splitReasoning} from "../util/reasoning.js";
import {InterruptedError} from "../util/prism-error.js";
import type {GenerateResult, JsonSchema, ObjectResult} from "./engine.js";
import {SchemaGenerationError} from "./engine-errors.js";
import {checkJsonSchema} from "./json-schema-check.js";

/**
 * The object a schema-constrained generation produced: parsed and checked against the schema, or a
 * `SchemaGenerationError` that says why not (cut by maxTokens, not JSON, not fitting the schema).
 */
export function objectFromGeneration<T>(result: GenerateResult, schema: JsonSchema, options: {notJsonHint?: string} = {}): ObjectResult<T> {
    if (result.finishReason === "abort") throw new InterruptedError("schema-constrained generation was aborted");
    // A reasoning model's thinking comes first; only the answer after it is JSON.
    const {text, unfinished} = splitReasoning(result.text);
    if (unfinished || (text === "" && result.finishReason === "length" && /<\/?think>/i.test(result.text)))
        throw new SchemaGenerationError(`the model was still thinking when maxTokens (${result.usage.outputTokens}) ran out`, result.text, {
            hint: "give reasoning models more tokens to think (thinkingMaxTokens; prism bootstrap --thinking-max-tokens)"
        });
    // (splitReasoning trims: grammars allow whitespace after the closing brace, which the model may spend tokens on.)
    let object: unknown;
    try {
        object = JSON.parse(text);
    } catch (err) {
        // Cut by maxTokens: unless the JSON was already complete and only trailing whitespace was cut (a model can
        // keep emitting the whitespace the grammar allows after the closing brace until maxTokens).
        if (result.finishReason === "length") throw new SchemaGenerationError(`maxTokens (${result.usage.outputTokens}) cut the JSON before it was complete`, text, {cutByLength: result.usage});
        throw new SchemaGenerationError(`the output is not valid JSON (${(err as Error).message})`, text, {hint: options.notJsonHint});
    }
    const problem = checkJsonSchema(schema, object);
    if (problem) throw new SchemaGenerationError(`the output does not match the schema ${problem}`, text);
    return {object: object as T, text, usage: result.usage, adapter: result.adapter};
}
