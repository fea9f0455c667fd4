import type {CommandModule} from "yargs";
import {z} from "zod";
import {collectStream} from "../../engine/collect-stream.js";
import type {GenerateRequest, GenerateResult, StreamPart} from "../../engine/engine.js";
import {ChatMessage} from "../../model/chat-tokenizer.js";
import {readJsonl} from "../../util/jsonl.js";
import {UsageError} from "../../util/prism-error.js";
import {type EngineArgs, openEngineOrRun, type RunArgs, withEngineOptions, withRunOptions} from "../engine-options.js";
import {describeRoute, printResult} from "../output.js";
import {createProgress} from "../progress.js";
import {runCommand} from "../run-command.js";

type GenerateArgs = EngineArgs & RunArgs & {
    prompt?: string, file?: string, system?: string, "max-tokens": number, temperature: number, "top-p": number, seed: number,
    stop: string[], base: boolean, json: boolean
};

/** One line of a --file prompts file. Settings on a line override the flags. */
const PromptLine = z.strictObject({
    prompt: z.string().optional(),
    messages: z.array(z.strictObject(ChatMessage.shape)).min(1).optional(),
    system: z.string().optional(),
    adapter: z.string().nullable().optional(),
    maxTokens: z.number().int().min(0).optional(),
    temperature: z.number().min(0).optional(),
    topP: z.number().gt(0).max(1).optional(),
    seed: z.number().int().min(0).optional(),
    stop: z.array(z.string()).optional()
}).refine((l) => (l.prompt === undefined) !== (l.messages === undefined), {message: "give exactly one of \"prompt\" and \"messages\""});
type PromptLine = z.infer<typeof PromptLine>;

export const GenerateCommand: CommandModule<object, GenerateArgs> = {
    command: "generate",
    describe: "Generate answers for one prompt or a JSONL file of prompts, with the base model and/or adapters",
    builder: (y) => withRunOptions(withEngineOptions(y, {modelRequired: false}))
        .option("prompt", {type: "string", group: "Input:", describe: "The user message"})
        .option("file", {type: "string", group: "Input:", describe: "JSONL, one request a line: {\"prompt\": …} or {\"messages\": […]}, optional system, adapter, maxTokens, temperature, topP, seed, stop"})
        .option("system", {type: "string", group: "Input:", describe: "System message for every prompt"})
        .option("base", {type: "boolean", default: false, group: "Input:", describe: "With --adapter, also answer with the base model (to compare)"})
        .option("max-tokens", {type: "number", default: 256, group: "Sampling:", describe: "Most tokens per answer"})
        .option("temperature", {type: "number", default: 0, group: "Sampling:", describe: "0 is greedy (deterministic)"})
        .option("top-p", {type: "number", default: 1, group: "Sampling:", describe: "Nucleus sampling"})
        .option("seed", {type: "number", default: 0, group: "Sampling:", describe: "Sampling seed"})
        .option("stop", {type: "string", array: true, default: [] as string[], group: "Sampling:", describe: "Stop before this string; repeatable"})
        .option("json", {type: "boolean", default: false, describe: "Print one JSON document with every result"})
        .example("$0 generate --model tiny.gguf --prompt 'Hello'", "one answer, streamed")
        .example("$0 generate --model tiny.gguf --adapter persona.gguf:0.5 --base --file prompts.jsonl --json", "base and adapter answers for every line")
        .example("$0 generate --run runs/qwen --file prompts.jsonl --json", "each prompt routed by the run's gate: the route and the gate's score with every answer"),
    handler: (args) => runCommand(async (signal) => {
        if ((args.prompt === undefined) === (args.file === undefined)) throw new UsageError("give exactly one of --prompt and --file");
        const lines: PromptLine[] = args.file ? await readJsonl(args.file, PromptLine) : [{prompt: args.prompt!}];
        if (lines.length === 0) throw new UsageError(`${args.file} has no prompts`);
        if (args.run && args.base) throw new UsageError("--base compares with --adapter; with --run, use --route base to force the base model");
        const {engine, adapters, router, dispose} = await openEngineOrRun(args, signal);
        try {
            // With a router, requests name no adapter: the gate decides (a line's own "adapter" still wins).
            const targets: (string | null | undefined)[] = router ? [undefined] : adapters.length === 0 ? [null] : [...(args.base ? [null] : []), ...adapters];
            const requests: GenerateRequest[] = lines.flatMap((line) => (line.adapter !== undefined ? [line.adapter] : targets).map((adapter) => ({
                messages: messagesOf(line, args.system), adapter, signal,
                maxTokens: line.maxTokens ?? args["max-tokens"], temperature: line.temperature ?? args.temperature,
                topP: line.topP ?? args["top-p"], seed: line.seed ?? args.seed, stop: line.stop ?? args.stop
            })));
            const streamToTerminal = requests.length === 1 && !args.json;
            let results: GenerateResult[];
            if (streamToTerminal) results = [await streamOne(engine.stream(requests[0]!), router !== undefined)];
            else {
                const progress = createProgress("generating", requests.length, {quiet: requests.length < 8});
                try {
                    results = await engine.generate(requests, {onProgress: (done) => progress.update(done)});
                } finally {
                    progress.stop();
                }
                printResult({model: engine.modelId, engine: engine.engineId, ...(args.run ? {run: args.run} : {}), results: results.map((r, i) => ({index: i, ...r}))}, {
                    json: args.json,
                    human: () => results.map((r, i) => `── ${i + 1}/${results.length} ${r.adapter ?? "base"}${r.route ? ` ${describeRoute(r.route)}` : ""}${r.finishReason === "stop" ? "" : ` (${r.finishReason})`}\n${r.text}`).join("\n\n")
                });
            }
            if (signal.aborted) process.exitCode = 130;
        } finally {
            await dispose();
        }
    })
};

function messagesOf(line: PromptLine, system: string | undefined): ChatMessage[] {
    const messages: ChatMessage[] = line.messages ?? [{role: "user", content: line.prompt!}];
    const sys = line.system ?? system;
    return sys !== undefined && messages[0]?.role !== "system" ? [{role: "system", content: sys}, ...messages] : messages;
}

/** Prints the answer as it is generated (after the route, when routed), then says why it stopped when that was not the end of the answer. */
async function streamOne(parts: AsyncIterable<StreamPart>, routed: boolean): Promise<GenerateResult> {
    const result = await collectStream(parts, {
        onDelta: (d) => process.stdout.write(d),
        onRoute: routed ? (route) => process.stderr.write(`(route: ${route.adapter ?? "base"} ${describeRoute(route)})\n`) : undefined
    });
    process.stdout.write("\n");
    if (result.finishReason !== "stop") process.stderr.write(`(stopped: ${result.finishReason} after ${result.usage.outputTokens} tokens)\n`);
    return result;
}
