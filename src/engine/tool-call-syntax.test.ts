import {ChatMLChatWrapper, FunctionaryChatWrapper, Gemma4ChatWrapper, HarmonyChatWrapper, Llama3_1ChatWrapper, QwenChatWrapper} from "node-llama-cpp";
import {describe, expect, it} from "vitest";
import {toolCallSyntax} from "./tool-call-syntax.js";

// node-llama-cpp's own chat wrappers, as resolveChatWrapper picks them for a model's template.
describe("toolCallSyntax", () => {
    it("reads the call syntax of templates with plain calls: prefix, name, parameters prefix, JSON, suffix", () => {
        const chatml = toolCallSyntax(new ChatMLChatWrapper());
        if ("unsupported" in chatml) throw new Error(chatml.unsupported);
        expect(chatml.starts).toEqual(["||call: ", "||call:"]);
        expect(`${chatml.prefix}get_weather${chatml.paramsPrefix}{}${chatml.suffix("get_weather")}`).toBe("||call: get_weather({})");

        const qwen = toolCallSyntax(new QwenChatWrapper());
        if ("unsupported" in qwen) throw new Error(qwen.unsupported);
        expect(qwen.starts).toEqual(["<tool_call>\n{\"name\": \""]);
        expect(`${qwen.prefix}f${qwen.paramsPrefix}{}${qwen.suffix("f")}`).toBe("<tool_call>\n{\"name\": \"f\", \"arguments\": {}}\n</tool_call>");

        const llama31 = toolCallSyntax(new Llama3_1ChatWrapper());
        if ("unsupported" in llama31) throw new Error(llama31.unsupported);
        expect(llama31.starts).toEqual(["<function="]);
    });

    it("refuses templates whose calls only node-llama-cpp's chat loop drives, or whose arguments are not one JSON value", () => {
        expect(toolCallSyntax(new FunctionaryChatWrapper())).toEqual({unsupported: expect.stringMatching(/Functionary chat wrapper calls functions in a way only its own chat loop drives/) as unknown});
        expect(toolCallSyntax(new HarmonyChatWrapper())).toEqual({unsupported: expect.stringMatching(/Harmony/) as unknown});
        expect(toolCallSyntax(new Gemma4ChatWrapper())).toEqual({unsupported: expect.stringMatching(/not write a call's arguments as one JSON value/) as unknown});
    });
});
