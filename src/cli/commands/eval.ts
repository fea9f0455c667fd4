import type {CommandModule} from "yargs";
import {parseCondition} from "../../eval/condition.js";
import {UsageError} from "../../util/prism-error.js";
import {withEngineOptions} from "../engine-options.js";
import {type EvalArgs, evalSettings, prepareEval, runWithModels, splitList, withEvalOptions} from "../eval-options.js";
import {runCommand} from "../run-command.js";

type EvalCommandArgs = EvalArgs & {conditions: string[]};

export const EvalCommand: CommandModule<object, EvalCommandArgs> = {
    command: "eval",
    describe: "Benchmark a model under conditions (base, persona, adapter, prism): MMLU, MT-Bench and safety sets, with confidence intervals",
    builder: (y) => withEvalOptions(withEngineOptions(y, {modelRequired: false}), {bench: "mmlu,mt-bench,jbb"})
        .option("conditions", {type: "string", array: true, default: ["base,persona:short:system"], group: "Conditions:",
            describe: "Comma-separated: base, persona:<min|short|long>:<system|user>[:<domain>|:random], adapter, prism"})
        .example("$0 eval --model m.gguf --bench mmlu,mt-bench,jbb --limit 50 --out runs/eval", "base against the short system persona on 50 items per benchmark")
        .example("$0 eval --run runs/boot --conditions base,persona:short:system,adapter,prism --out runs/eval", "PRISM against its baselines: the run's model, personas, adapter and gate")
        .example("$0 eval --model m.gguf --judge-url http://127.0.0.1:8080/v1 --judge-model judge --bench mt-bench --out runs/mt", "MT-Bench graded by a served judge")
        .epilogue("Logs every prompt, answer, score and judge output under OUT/logs; Ctrl-C keeps finished items and the same command resumes. `prism report OUT` draws the charts."),
    handler: (args) => runCommand(async (signal) => {
        const conditions = splitList(args.conditions).map(parseCondition);
        const prepared = await prepareEval(args);
        const routed = conditions.some((c) => c.kind === "prism");
        if (!routed) {
            if (prepared.runAdapter && !args.adapter.includes(prepared.runAdapter)) args.adapter = [...args.adapter, prepared.runAdapter];
            if (conditions.some((c) => c.kind === "adapter") && args.adapter.length !== 1)
                throw new UsageError(`the adapter condition needs exactly one adapter (got ${args.adapter.length})`, {hint: "pass --adapter FILE, or --run DIR with an adapter.gguf"});
        }
        const {runEvaluation} = await import("../../eval/run-evaluation.js");
        await runWithModels(args, signal, prepared, ({engine, judge, adapters, router, onProgress}) => runEvaluation({
            ...evalSettings(args), engine, judge, benchmarks: prepared.benchmarks, conditions, out: args.out, personas: prepared.personas,
            adapter: adapters[0], router, signal, onProgress
        }), {routed});
    })
};
