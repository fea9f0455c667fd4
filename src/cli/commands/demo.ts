import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type {CommandModule} from "yargs";
import {GgufFile} from "../../model/gguf-file.js";
import {makeTinyModel} from "../../model/tiny-model.js";
import {formatRunSummary} from "../../pipeline/run-summary.js";
import {describeRoute} from "../output.js";
import {runCommand} from "../run-command.js";
import {stageProgress} from "../stage-progress.js";

type DemoArgs = {"cache-dir": string, "max-tokens": number};

const prompts = ["Review this deployment plan for safety risks.", "What is the capital of France?", "Write a short poem about rain.", "Prove that the square root of 2 is irrational."];

/**
 * The tiny model's seed and the run's settings: small enough for a few minutes on two cores. Its judge is sampled
 * (temperature 1): a random model's greedy verdict always names the same position, so the persona could never win
 * both orders and the gate would have nothing to learn.
 */
export const TINY_MODEL = {arch: "llama", layers: 2, dim: 64, seed: 11} as const;
export const DEMO_RUN_SETTINGS = {queriesPerDomain: 4, personaLength: "short", answerMaxTokens: 48, truncateChars: 400, judgeTemperature: 1, training: {epochs: 4, lr: 1e-2}} as const;

export const DemoCommand: CommandModule<object, DemoArgs> = {
    command: "demo",
    describe: "PRISM on a tiny model: bootstrap it (once, resumable), then answer a few prompts through the gate router",
    builder: (y) => y
        .option("cache-dir", {type: "string", default: path.join(os.homedir(), ".cache", "prism", "demo"), describe: "Where the demo's model and bootstrap run are kept"})
        .option("max-tokens", {type: "number", default: 24, describe: "Tokens per answer"}),
    handler: (args) => runCommand(async (signal) => {
        const out = (s = "") => process.stdout.write(s + "\n");
        const modelPath = path.join(args["cache-dir"], "tiny-llama.gguf");
        const runDir = path.join(args["cache-dir"], "run");
        const madeModel = await ensureModel(modelPath);
        out("prism demo: PRISM end to end on a tiny random-initialised llama model (width 64, 2 blocks) on embedded llama.cpp.");
        out("Its words are noise; the machinery is real: the model writes personas and queries, answers with and without");
        out("the persona, judges its own pairs, a LoRA adapter is distilled from the wins, and a gate learns where to use it.\n");
        out(`model  ${modelPath} (${madeModel ? "made now" : "reused"})`);
        out(`run    ${runDir} (prism bootstrap; interrupted, it resumes where it stopped)\n`);

        const progress = stageProgress();
        let result;
        try {
            const {bootstrap} = await import("../../pipeline/bootstrap.js");
            result = await bootstrap({...DEMO_RUN_SETTINGS, model: modelPath, out: runDir, gpu: false, signal, onEvent: progress.onEvent});
        } finally {
            progress.stop();
        }
        out(result.ran.length === 0 ? "bootstrap: every stage already done (reused)\n" : `bootstrap: ran ${result.ran.join(", ")}\n`);
        if (result.summary) out(formatRunSummary(result.summary) + "\n");

        const {openRunRouter} = await import("../../run/open-run-router.js");
        await using routed = await openRunRouter(runDir, {gpu: false, signal});
        out("Routed generation (the gate scores each prompt's hidden state after block 0; the adapter answers when it says the persona helps):\n");
        const show = (s: string) => JSON.stringify(s).slice(1, -1);
        for (const prompt of prompts) {
            const r = await routed.router.generate([{role: "user", content: prompt}], {maxTokens: args["max-tokens"], signal});
            out(`Q: ${prompt}`);
            out(`   ${(r.route.adapter ?? "base").padEnd(7)} ${describeRoute(r.route)} │ ${show(r.text)}`);
        }
        out(`\nNext: prism generate --run ${runDir} --prompt "Hello" --json    (route and gate score with the answer)`);
        out(`      prism chat --run ${runDir}                                (the route of each turn)`);
        out(`      prism bootstrap --model YOUR-CHAT-MODEL.gguf --out runs/mine   (the paper's settings)`);
    })
};

/** Makes the tiny model unless a readable one is already there; true when it was made. */
async function ensureModel(file: string): Promise<boolean> {
    if (fs.existsSync(file)) {
        try {
            await GgufFile.open(file);
            return false;
        } catch {
            // a damaged cache file: make it again
        }
    }
    await makeTinyModel(file, TINY_MODEL);
    return true;
}
