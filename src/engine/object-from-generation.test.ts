import {describe, expect, it} from "vitest";
import type {GenerateResult} from "./engine.js";
import {SchemaGenerationError} from "./engine-errors.js";
import {objectFromGeneration} from "./object-from-generation.js";

const schema = {type: "object", properties: {verdict: {enum: ["A", "B", "TIE"]}}, required: ["verdict"]};
const result = (text: string, finishReason: GenerateResult["finishReason"]): GenerateResult =>
    ({text, finishReason, usage: {inputTokens: 10, outputTokens: 16}, adapter: null});

describe("objectFromGeneration", () => {
    it("accepts complete JSON whose trailing whitespace maxTokens cut", () => {
        expect(objectFromGeneration(result('{"verdict": "B"}\n  \n ', "length"), schema).object).toEqual({verdict: "B"});
    });

    it("refuses JSON that maxTokens cut before it was complete, saying so", () => {
        expect(() => objectFromGeneration(result('{"verdict": "', "length"), schema)).toThrow(SchemaGenerationError);
        expect(() => objectFromGeneration(result('{"verdict": "', "length"), schema)).toThrow(/maxTokens \(16\) cut the JSON/);
    });

    it("refuses complete JSON outside the schema", () => {
        expect(() => objectFromGeneration(result('{"verdict": "C"}', "stop"), schema)).toThrow(/does not match the schema/);
    });

    it("parses the answer after a reasoning model's thinking, even when the thinking holds JSON", () => {
        expect(objectFromGeneration(result('<think>Maybe {"verdict": "A"}?</think>\n{"verdict": "B"}', "stop"), schema).object).toEqual({verdict: "B"});
        // R1 templates open the block in the prompt: the text starts inside it.
        expect(objectFromGeneration(result('Maybe {"verdict": "A"}.\n</think>\n\n{"verdict": "TIE"}', "stop"), schema).object).toEqual({verdict: "TIE"});
    });

    it("says the model was still thinking when maxTokens ran out inside the thinking", () => {
        expect(() => objectFromGeneration(result("<think>Let me see, first", "length"), schema)).toThrow(/still thinking/);
    });
});
