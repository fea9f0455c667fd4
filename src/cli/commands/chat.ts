import readline from "node:readline";
import type {CommandModule} from "yargs";
import {collectStream} from "../../engine/collect-stream.js";
import type {ChatMessage} from "../../engine/engine.js";
import {UsageError} from "../../util/prism-error.js";
import {type EngineArgs, openEngineOrRun, type RunArgs, withEngineOptions, withRunOptions} from "../engine-options.js";
import {describeRoute} from "../output.js";
import {runCommand} from "../run-command.js";

type ChatArgs = EngineArgs & RunArgs & {system?: string, "max-tokens": number, temperature: number, seed: number, json: boolean};

export const ChatCommand: CommandModule<object, ChatArgs> = {
    command: "chat",
    describe: "Chat with a model on stdin/stdout, keeping the conversation (works with piped input: one message a line)",
    builder: (y) => withRunOptions(withEngineOptions(y, {modelRequired: false}))
        .option("system", {type: "string", group: "Chat:", describe: "System message"})
        .option("max-tokens", {type: "number", default: 256, group: "Chat:", describe: "Most tokens per answer"})
        .option("temperature", {type: "number", default: 0, group: "Chat:", describe: "0 is greedy (deterministic)"})
        .option("seed", {type: "number", default: 0, group: "Chat:", describe: "Sampling seed"})
        .option("json", {type: "boolean", default: false, describe: "Print one JSON object a turn (text, finishReason, usage, and with --run the route)"})
        .example("$0 chat --model tiny.gguf --adapter persona.gguf", "type a message, Enter; /reset forgets, /exit or Ctrl-D quits")
        .example("printf 'Hi\\nAnd then?\\n' | $0 chat --model tiny.gguf", "two turns from a pipe")
        .example("$0 chat --run runs/qwen", "the run's gate routes the conversation; each turn shows its route"),
    handler: (args) => runCommand(async (signal) => {
        if (args.adapter.length > 1) throw new UsageError("chat takes at most one --adapter");
        const {engine, adapters, router, dispose} = await openEngineOrRun(args, signal);
        const interactive = process.stdin.isTTY === true;
        const lines = readline.createInterface({input: process.stdin, output: interactive ? process.stdout : undefined, terminal: interactive});
        const history: ChatMessage[] = args.system ? [{role: "system", content: args.system}] : [];
        // Routed: the request names no adapter and the gate decides each turn (or reuses the first turn's decision).
        const adapter = router ? undefined : adapters[0] ?? null;
        try {
            if (interactive) process.stdout.write(`chatting with ${engine.modelId}${router ? ` routed by ${args.run}` : adapter ? ` + ${adapter}` : ""} (/reset forgets, /exit quits)\n> `);
            for await (const line of lines) {
                const text = line.trim();
                if (text === "/exit" || signal.aborted) break;
                if (text === "/reset") {
                    history.splice(args.system ? 1 : 0);
                    if (interactive) process.stdout.write("(conversation cleared)\n> ");
                    continue;
                }
                if (text === "") {
                    if (interactive) process.stdout.write("> ");
                    continue;
                }
                history.push({role: "user", content: text});
                const result = await collectStream(engine.stream({
                    messages: [...history], adapter, maxTokens: args["max-tokens"], temperature: args.temperature, seed: args.seed, signal
                }), {
                    onDelta: args.json ? undefined : (d) => process.stdout.write(d),
                    onRoute: args.json ? undefined : (route) => process.stdout.write(`[${route.adapter ?? "base"} ${describeRoute(route)}] `)
                });
                history.push({role: "assistant", content: result.text});
                if (args.json) process.stdout.write(JSON.stringify({turn: history.filter((m) => m.role === "user").length, ...result}) + "\n");
                else process.stdout.write(interactive ? "\n> " : "\n");
            }
        } finally {
            lines.close();
            await dispose();
        }
    })
};
