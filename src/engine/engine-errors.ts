import {InvalidInputError, PrismError, UsageError} from "../util/prism-error.js";
import type {Usage} from "./engine.js";

/** A request named an adapter the engine does not have. */
export class NoSuchAdapterError extends UsageError {
    readonly adapter: string;
    readonly known: string[];
    constructor(adapter: string, known: string[]) {
        super(`no adapter named "${adapter}" (known: ${known.length > 0 ? known.join(", ") : "none"})`, {
            hint: "register it first (--adapter PATH[:scale], or engine.loadAdapter(name, path))",
            details: {adapter, known}
        });
        this.adapter = adapter;
        this.known = known;
    }
}

/** Schema-constrained generation did not give a parsed, schema-valid object (e.g. maxTokens cut the JSON). */
export class SchemaGenerationError extends PrismError {
    readonly text: string;
    /** When maxTokens cut the JSON: the generation's usage (`text` is then the cut JSON, as OpenAI returns it with finish_reason "length"). */
    readonly cutByLength?: Usage;
    constructor(reason: string, text: string, options: {hint?: string, cutByLength?: Usage} = {}) {
        super("E_SCHEMA_GENERATION", "internal", `schema-constrained generation failed: ${reason}`, {
            hint: options.hint ?? "raise maxTokens, or bound string lengths and array sizes in the schema (maxLength, maxItems, enum)",
            details: {text}
        });
        this.text = text;
        this.cutByLength = options.cutByLength;
    }
}

/** A prompt that does not fit the context window. */
export class PromptTooLongError extends InvalidInputError {
    constructor(promptTokens: number, contextSize: number) {
        super("E_PROMPT_TOO_LONG", `the prompt has ${promptTokens} tokens but the context holds ${contextSize}`, {
            hint: "shorten the prompt or load the engine with a larger contextSize",
            details: {promptTokens, contextSize}
        });
    }
}
