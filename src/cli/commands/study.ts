import type {CommandModule} from "yargs";
import {PERSONA_DOMAINS, PERSONA_LENGTHS, type PersonaDomain, type PersonaLength, normalizeDomain} from "../../eval/personas/persona-domain.js";
import {UsageError} from "../../util/prism-error.js";
import {withEngineOptions} from "../engine-options.js";
import {type EvalArgs, evalSettings, prepareEval, runWithModels, splitList, withEvalOptions} from "../eval-options.js";
import {runCommand} from "../run-command.js";

type StudyArgs = EvalArgs & {lengths: string[], placements: string[], domains: string[], "random-control": boolean};

export const StudyCommand: CommandModule<object, StudyArgs> = {
    command: "study",
    describe: "The persona study: no persona vs min/short/long personas in the system or user turn, each persona against each category, and a random-persona control",
    builder: (y) => withEvalOptions(withEngineOptions(y, {modelRequired: false}), {bench: "mmlu,mt-bench,jbb"})
        .option("lengths", {type: "string", array: true, default: [PERSONA_LENGTHS.join(",")], group: "Grid:", describe: "Persona lengths of the matching-persona grid"})
        .option("placements", {type: "string", array: true, default: ["system,user"], group: "Grid:", describe: "Placements of the matching-persona grid"})
        .option("domains", {type: "string", array: true, default: ["all"], group: "Grid:", describe: "Personas run against every category (all, none, or a list)"})
        .option("random-control", {type: "boolean", default: true, group: "Grid:", describe: "Add a random persona of another domain as the control for any added context"})
        .example("$0 study --model m.gguf --limit 20 --out runs/study", "the whole grid on 20 items per benchmark")
        .example("$0 study --model m.gguf --domains none --lengths short,long --out runs/study", "only the length and placement grid"),
    handler: (args) => runCommand(async (signal) => {
        const grid = {
            lengths: splitList(args.lengths).map((l) => {
                if (!(PERSONA_LENGTHS as readonly string[]).includes(l)) throw new UsageError(`--lengths: "${l}" is not one of ${PERSONA_LENGTHS.join(", ")}`);
                return l as PersonaLength;
            }),
            placements: splitList(args.placements).map((p) => {
                if (p !== "system" && p !== "user") throw new UsageError(`--placements: "${p}" is not system or user`);
                return p;
            }),
            domains: parseDomains(splitList(args.domains)),
            randomControl: args["random-control"]
        };
        const prepared = await prepareEval(args);
        const {runStudy} = await import("../../eval/run-study.js");
        await runWithModels(args, signal, prepared, ({engine, judge, classifier, onProgress}) => runStudy({
            ...evalSettings(args), engine, judge, classifier, benchmarks: prepared.benchmarks, out: args.out, personas: prepared.personas, safetySlots: prepared.safetySlots, grid, signal, onProgress
        }));
    })
};

function parseDomains(values: string[]): PersonaDomain[] {
    if (values.length === 1 && values[0] === "all") return [...PERSONA_DOMAINS];
    if (values.length === 1 && values[0] === "none") return [];
    return values.map((v) => {
        const d = normalizeDomain(v);
        if (!d) throw new UsageError(`--domains: unknown persona domain "${v}"`, {hint: `domains: ${PERSONA_DOMAINS.join(", ")}, or all, or none`});
        return d;
    });
}
