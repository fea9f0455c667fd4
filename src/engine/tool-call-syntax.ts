import {type ChatWrapper, LlamaText} from "node-llama-cpp";

/**
 * How a chat template writes a tool call, from node-llama-cpp's chat wrapper for it: `prefix`, the function's name,
 * `paramsPrefix`, the arguments as JSON, `suffix` (e.g. ChatML's `||call: name({…})`, Qwen's
 * `<tool_call>{"name": "…", "arguments": {…}}</tool_call>`, Llama 3.1's `<function=name>{…}</function>`).
 */
export type ToolCallSyntax = {
    prefix: LlamaText,
    paramsPrefix: LlamaText,
    suffix(name: string): LlamaText,
    /** The texts that start a call in the model's output (special tokens written out). */
    starts: string[]
};

/**
 * The template's call syntax, or why prism cannot drive it. prism's generation loop handles calls of the plain
 * shape above; wrappers whose calls need node-llama-cpp's own chat loop (a model turn that starts in function-calling
 * mode, as Functionary's; prefix triggers and re-rendering, as Harmony's) and wrappers whose arguments are not one
 * JSON value are refused, so a request with `tools` gets a clear error instead of text that never parses.
 */
export function toolCallSyntax(wrapper: ChatWrapper): ToolCallSyntax | {unsupported: string} {
    const call = wrapper.settings.functions?.call;
    const prefix = LlamaText(call?.prefix ?? "");
    if (!call || prefix.toString() === "") return {unsupported: `node-llama-cpp's ${wrapper.wrapperName} chat wrapper has no function-call syntax`};
    const probe = wrapper.generateContextState({
        chatHistory: [{type: "user", text: "?"}, {type: "model", response: []}],
        availableFunctions: {probe: {params: {type: "object", properties: {}}}}
    });
    if (probe.functionCall?.initiallyEngaged || probe.prefixTriggers || probe.noPrefixTrigger || probe.detectFunctionCalls === false || probe.rerender)
        return {unsupported: `node-llama-cpp's ${wrapper.wrapperName} chat wrapper calls functions in a way only its own chat loop drives`};
    const paramsPrefix = LlamaText(call.paramsPrefix);
    if (/[{[]\s*$/.test(paramsPrefix.toString()))
        return {unsupported: `node-llama-cpp's ${wrapper.wrapperName} chat wrapper does not write a call's arguments as one JSON value`};
    const suffix = LlamaText(call.suffix);
    return {
        prefix, paramsPrefix,
        suffix: (name) => suffix.mapValues((v) => (typeof v === "string" ? v.replaceAll("{{functionName}}", name) : v)),
        starts: [...new Set([prefix.toString(), ...(call.prefixAlternateMatches ?? []).map((m) => LlamaText(m).toString())])].filter((s) => s.length > 0)
    };
}
