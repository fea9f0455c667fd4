import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type {CommandModule} from "yargs";
import type {ChatMessage} from "../../engine/engine.js";
import {LlamaEngine} from "../../engine/llama-engine.js";
import {makeTinyLora} from "../../lora/tiny-lora.js";
import {GgufFile} from "../../model/gguf-file.js";
import {makeTinyModel} from "../../model/tiny-model.js";
import {runCommand} from "../run-command.js";

type DemoArgs = {"cache-dir": string, "max-tokens": number};

const questions = ["What is the capital of France?", "Review this plan for safety risks.", "Write a haiku about rain."];

export const DemoCommand: CommandModule<object, DemoArgs> = {
    command: "demo",
    describe: "Make a tiny model and a LoRA adapter (once), then answer a few prompts with and without the adapter",
    builder: (y) => y
        .option("cache-dir", {type: "string", default: path.join(os.homedir(), ".cache", "prism", "demo"), describe: "Where the demo's model and adapter are kept"})
        .option("max-tokens", {type: "number", default: 24, describe: "Tokens per answer"}),
    handler: (args) => runCommand(async (signal) => {
        const out = (s = "") => process.stdout.write(s + "\n");
        const modelPath = path.join(args["cache-dir"], "tiny-llama.gguf");
        const adapterPath = path.join(args["cache-dir"], "tiny-persona-lora.gguf");
        const madeModel = await ensure(modelPath, () => makeTinyModel(modelPath, {arch: "llama", layers: 2, dim: 64, seed: 1}));
        const madeAdapter = await ensure(adapterPath, () => makeTinyLora(modelPath, adapterPath, {rank: 4, seed: 1}));
        out("prism demo: a tiny random-initialised llama model and a random LoRA adapter on embedded llama.cpp.");
        out("Their words are noise; the machinery (chat template, batching, adapters, grammar, scoring) is real.\n");
        out(`model    ${modelPath} (${madeModel ? "made now" : "reused"})`);
        out(`adapter  ${adapterPath} (${madeAdapter ? "made now" : "reused"})`);

        await using engine = await LlamaEngine.load({model: modelPath, gpu: false, contextSize: 512, parallel: 8, adapters: [{name: "persona", path: adapterPath}], signal});
        out(`engine   llama.cpp, ${engine.threads} thread(s), ${engine.parallel} parallel sequences, width ${engine.embeddingWidth}, vocabulary ${engine.vocabularySize}\n`);

        const user = (q: string): ChatMessage[] => [{role: "user", content: q}];
        const started = performance.now();
        const results = await engine.generate(questions.flatMap((q) => [null, "persona"].map((adapter) => ({messages: user(q), adapter, maxTokens: args["max-tokens"], signal}))));
        const seconds = (performance.now() - started) / 1000;
        const show = (s: string) => JSON.stringify(s).slice(1, -1);
        for (const [i, q] of questions.entries()) {
            out(`Q: ${q}`);
            out(`   base    │ ${show(results[2 * i]!.text)}`);
            out(`   persona │ ${show(results[2 * i + 1]!.text)}`);
        }
        const tokens = results.reduce((n, r) => n + r.usage.outputTokens, 0);
        out(`\n${results.length} answers (${tokens} tokens) generated together in ${seconds.toFixed(2)} s: ${(tokens / seconds).toFixed(0)} tokens/s`);

        const schema = {type: "object", properties: {verdict: {enum: ["safe", "risky"]}, confident: {type: "boolean"}}, required: ["verdict", "confident"]};
        const object = await engine.generateObject({messages: user(questions[1]!), schema, maxTokens: 40});
        out(`JSON under a schema: ${JSON.stringify(object.object)}`);
        const [base] = await engine.scoreContinuations({messages: user(questions[0]!), continuations: ["Paris"]});
        const [persona] = await engine.scoreContinuations({messages: user(questions[0]!), continuations: ["Paris"], adapter: "persona"});
        out(`log p("Paris" | question): base ${base!.total.toFixed(2)}, persona ${persona!.total.toFixed(2)}`);
        out(`\nNext: prism generate --model ${modelPath} --adapter ${adapterPath} --base --prompt "Hello"`);
    })
};

/** Makes the file unless a readable one is already there; true when it was made. */
async function ensure(file: string, make: () => Promise<unknown>): Promise<boolean> {
    if (fs.existsSync(file)) {
        try {
            await GgufFile.open(file);
            return false;
        } catch {
            // a damaged cache file: make it again
        }
    }
    await make();
    return true;
}
