import type {CommandModule} from "yargs";
import {parseCondition} from "../../eval/condition.js";
import {UsageError} from "../../util/prism-error.js";
import {withEngineOptions} from "../engine-options.js";
import {type EvalArgs, evalSettings, openJudge, parseSafetySlots, prepareEval, runWithModels, splitList, withEvalOptions} from "../eval-options.js";
import {formatSummary} from "../format-summary.js";
import {printResult} from "../output.js";
import {runCommand} from "../run-command.js";

type EvalCommandArgs = EvalArgs & {conditions: string[], rescore?: string};

export const EvalCommand: CommandModule<object, EvalCommandArgs> = {
    command: "eval",
    describe: "Benchmark a model under conditions (base, persona, adapter, prism): MMLU, MT-Bench, safety sets and the planted world, with confidence intervals",
    builder: (y) => withEvalOptions(withEngineOptions(y, {modelRequired: false}), {bench: "mmlu,mt-bench,jbb"})
        .option("conditions", {type: "string", array: true, default: ["base,persona:short:system"], group: "Conditions:",
            describe: "Comma-separated: base, persona:<min|short|long>:<system|user>[:<domain>|:random], adapter, prism"})
        .option("rescore", {type: "string", group: "Protocol:",
            describe: "Re-judge and re-aggregate the logged answers of the eval folder DIR under --protocol, into --out (no model under test needed)"})
        .example("$0 eval --model m.gguf --bench mmlu,mt-bench,jbb --limit 50 --out runs/eval", "base against the short system persona on 50 items per benchmark")
        .example("$0 eval --run runs/boot --conditions base,persona:short:system,adapter,prism --out runs/eval", "PRISM against its baselines: the run's model, personas, adapter and gate")
        .example("$0 eval --run runs/world --bench world --conditions base,persona:short:system,adapter,prism --out runs/world-eval", "the planted world's held-out tasks, scored by code, per domain")
        .example("$0 eval --model m.gguf --judge-url http://127.0.0.1:8080/v1 --judge-model judge --bench mt-bench --out runs/mt", "MT-Bench graded by a served judge")
        .example("$0 eval --rescore runs/eval --protocol paper --bench safety-jbb --judge-model judge.gguf --out runs/eval-paper", "the logged JBB answers judged as the paper does")
        .epilogue("Logs every prompt, answer, score and judge output under OUT/logs; Ctrl-C keeps finished items and the same command resumes. `prism report OUT` draws the charts."),
    handler: (args) => runCommand(async (signal) => {
        if (args.rescore) return rescore(args, signal);
        const conditions = splitList(args.conditions).map(parseCondition);
        const prepared = await prepareEval(args);
        const routed = conditions.some((c) => c.kind === "prism");
        if (!routed) {
            if (prepared.runAdapter && !args.adapter.includes(prepared.runAdapter)) args.adapter = [...args.adapter, prepared.runAdapter];
            if (conditions.some((c) => c.kind === "adapter") && args.adapter.length !== 1)
                throw new UsageError(`the adapter condition needs exactly one adapter (got ${args.adapter.length})`, {hint: "pass --adapter FILE, or --run DIR with an adapter.gguf"});
        }
        const {runEvaluation} = await import("../../eval/run-evaluation.js");
        await runWithModels(args, signal, prepared, ({engine, judge, classifier, adapters, router, onProgress}) => runEvaluation({
            ...evalSettings(args), engine, judge, classifier, benchmarks: prepared.benchmarks, conditions, out: args.out, personas: prepared.personas, worldPersonas: prepared.worldPersonas,
            safetySlots: prepared.safetySlots, adapter: adapters[0], router, signal, onProgress
        }), {routed});
    })
};

/** `--rescore DIR`: only the judge (if any) is opened; `--bench` names the logged benchmarks to keep (mmlu, mt-bench, safety-jbb, …). */
async function rescore(args: EvalCommandArgs, signal: AbortSignal): Promise<void> {
    const {rescoreEvaluation} = await import("../../eval/rescore-evaluation.js");
    const explicitBench = process.argv.some((a) => a === "--bench" || a.startsWith("--bench="));
    const judge = args["judge-model"] || args["judge-url"] ? await openJudge(args, signal) : undefined;
    try {
        const summary = await rescoreEvaluation({
            from: args.rescore!, out: args.out, protocol: args.protocol, judge, judgeBatchSize: args["judge-batch-size"], judgeReasoningTokens: args["judge-reasoning-tokens"],
            judgeMaxTokens: args["judge-max-tokens"], refusalClassifier: args["refusal-judge"], benchmarks: explicitBench ? splitList(args.bench).map(benchmarkIdOf) : undefined,
            safetySlots: parseSafetySlots(splitList(args["safety-slots"])), bootstrapIterations: args.bootstrap
        });
        printResult(summary, {json: args.json, human: () => formatSummary(summary, args.out)});
    } finally {
        await judge?.dispose();
    }
}

/** `jbb` and `safety-jbb` both name the logged JBB benchmark. */
const benchmarkIdOf = (name: string) => (name === "mmlu" || name === "mt-bench" || name.startsWith("safety-") ? name : `safety-${name}`);
