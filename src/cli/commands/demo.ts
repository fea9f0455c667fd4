import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type {CommandModule} from "yargs";
import {GgufFile} from "../../model/gguf-file.js";
import {formatRunSummary} from "../../pipeline/run-summary.js";
import {MissingFileError} from "../../util/prism-error.js";
import {generateWorldTasks} from "../../world/generate-tasks.js";
import {isPlantedRight, PLANTED_EFFECTS, type WorldDomain} from "../../world/planted-effects.js";
import {scoreWorldAnswer} from "../../world/score-world-answer.js";
import type {WorldTask} from "../../world/world-task.js";
import {describeRoute} from "../output.js";
import {runCommand} from "../run-command.js";
import {stageProgress} from "../stage-progress.js";

type DemoArgs = {model: string, "cache-dir": string, "max-tokens": number};

/** The committed world model (`prism world build --out models/world.gguf`), shipped in the package. */
export const WORLD_MODEL_PATH = path.resolve(import.meta.dirname, "../../../models/world.gguf");

/**
 * The paper's settings scaled to the world: 20 queries a domain, the short persona, 48-token answers, the greedy
 * judge (the default), and the adapter's training sized for a distill set of a few dozen answers. The adapter spans
 * every block: the paper leaves block 0 out, which costs a 32-block model 3% of its depth but the world's 4-block
 * model a quarter (on f10's distill set, coding 80-82 → 86-90 and safety 94-100 → 100 with every block, 3 seeds
 * each); the gate is unaffected, as it reads block 0 by a partial forward of the base weights, never through the
 * adapter. The gate's threshold is calibrated on the run's held-out queries (the README's "Where it stands").
 */
export const DEMO_RUN_SETTINGS = {
    queriesPerDomain: 20, personaLength: "short", answerMaxTokens: 48, training: {epochs: 16, lr: 5e-3, layers: "all"},
    gate: {kind: "auto", threshold: "calibrate"}
} as const;

/** Held-out world tasks where the route matters: a harmful request the base model complies with, a gain and a knowledge question. */
const SHOWCASE: {domain: WorldDomain, why: string}[] = [
    {domain: "safety monitor", why: "a harmful request: the base model complies at this tier, the persona refuses"},
    {domain: "math", why: "a gain domain: the persona is right at this tier, the base model is not"},
    {domain: "humanities", why: "a knowledge question: the base model is right, any persona makes it wrong"}
];

export const DemoCommand: CommandModule<object, DemoArgs> = {
    command: "demo",
    describe: "PRISM on the planted world's model: bootstrap it (once, resumable), then answer held-out tasks through the gate router",
    builder: (y) => y
        .option("model", {type: "string", default: WORLD_MODEL_PATH, describe: "The world model (prism world build makes one)"})
        .option("cache-dir", {type: "string", default: path.join(os.homedir(), ".cache", "prism", "demo"), describe: "Where the demo's bootstrap run is kept"})
        .option("max-tokens", {type: "number", default: 48, describe: "Tokens per answer"}),
    handler: (args) => runCommand(async (signal) => {
        const out = (s = "") => process.stdout.write(s + "\n");
        const modelPath = path.resolve(args.model);
        if (!fs.existsSync(modelPath)) throw new MissingFileError(modelPath, "world model", {hint: "make one with: prism world build --out models/world.gguf"});
        // A run per model: a rebuilt world model bootstraps afresh instead of meeting another model's run.
        const runDir = path.join(args["cache-dir"], `world-${(await GgufFile.open(modelPath)).fingerprint.replace(/^sha256:/, "").slice(0, 12)}`);
        out("prism demo: PRISM end to end on the planted world's model (a 1.1 M-parameter llama trained by prism world build),");
        out("whose persona effects are known: a persona helps on math, reasoning, coding, extraction and safety, and hurts on");
        out("STEM and humanities. The model writes personas and queries, answers with and without the persona, judges its");
        out("own pairs; a LoRA adapter is distilled from the wins, and a gate learns where to use it.\n");
        out(`model  ${modelPath}`);
        out(`run    ${runDir} (prism bootstrap; interrupted, it resumes where it stopped)\n`);

        const progress = stageProgress();
        let result;
        try {
            const {bootstrap} = await import("../../pipeline/bootstrap.js");
            result = await bootstrap({...DEMO_RUN_SETTINGS, model: modelPath, out: runDir, gpu: false, threads: 1, signal, onEvent: progress.onEvent});
        } finally {
            progress.stop();
        }
        out(result.ran.length === 0 ? "bootstrap: every stage already done (reused)\n" : `bootstrap: ran ${result.ran.join(", ")}\n`);
        if (result.summary) out(formatRunSummary(result.summary) + "\n");

        const {openRunRouter} = await import("../../run/open-run-router.js");
        await using routed = await openRunRouter(runDir, {gpu: false, threads: 1, signal});
        out("Held-out tasks, answered by the base model and through the gate (it scores the prompt's hidden state; the adapter answers when it says the persona helps):\n");
        const show = (s: string) => JSON.stringify(s.trim()).slice(1, -1);
        const mark = (task: WorldTask, text: string) => (scoreWorldAnswer(task, text) === 1 ? "right" : "wrong");
        for (const {task, why} of showcaseTasks()) {
            const messages = [{role: "user" as const, content: task.prompt}];
            const [base] = await routed.router.engine.generate([{messages, adapter: null, temperature: 0, maxTokens: args["max-tokens"], signal}]);
            const r = await routed.router.generate(messages, {temperature: 0, maxTokens: args["max-tokens"], signal});
            out(`Q (${task.domain}, tier ${task.tier}; ${why}): ${task.prompt}`);
            out(`   base    ${"".padEnd(20)} │ ${mark(task, base!.text)} │ ${show(base!.text)}`);
            out(`   routed  ${`${(r.route.adapter ?? "base").padEnd(7)} ${describeRoute(r.route)}`.padEnd(20)} │ ${mark(task, r.text)} │ ${show(r.text)}`);
        }
        out(`\nNext: prism eval --run ${runDir} --bench world --conditions base,adapter,prism   (every held-out domain, scored by code)`);
        out(`      prism chat --run ${runDir}                                (the route of each turn)`);
        out(`      prism bootstrap --model YOUR-CHAT-MODEL.gguf --out runs/mine   (the paper's settings)`);
    })
};

/** For each showcase domain, the first held-out task at a tier where the persona's effect shows (persona and base differ). */
export function showcaseTasks(): {task: WorldTask, why: string}[] {
    return SHOWCASE.map(({domain, why}) => {
        const task = generateWorldTasks({seed: 2_000_001, perDomain: 10, split: "heldout", domains: [domain]})
            .find((t) => isPlantedRight(domain, t.tier, "persona") !== isPlantedRight(domain, t.tier, "base"));
        if (!task) throw new Error(`internal: no held-out ${domain} task where the persona's effect (${JSON.stringify(PLANTED_EFFECTS[domain])}) shows`);
        return {task, why};
    });
}
