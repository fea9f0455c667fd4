import type {CommandModule} from "yargs";
import {writeReport} from "../../eval/report/write-report.js";
import {printResult} from "../output.js";
import {runCommand} from "../run-command.js";

type ReportArgs = {dir: string, out?: string, json: boolean};

export const ReportCommand: CommandModule<object, ReportArgs> = {
    command: "report <dir>",
    describe: "Draw an eval or study folder as one self-contained HTML page (charts, no network needed), with Markdown and JSON summaries",
    builder: (y) => y
        .positional("dir", {type: "string", demandOption: true, describe: "A folder written by prism eval or prism study (or its summary.json)"})
        .option("out", {type: "string", describe: "Where to write report.html, report.md and report.json (default: DIR)"})
        .option("json", {type: "boolean", default: false, describe: "Print the written paths as JSON"})
        .example("$0 report runs/eval", "writes runs/eval/report.html, report.md and report.json"),
    handler: (args) => runCommand(async () => {
        const r = await writeReport({source: args.dir, out: args.out});
        printResult(r, {json: args.json, human: () => `wrote ${r.html}\n      ${r.markdown}\n      ${r.json}\n(${r.conditions} conditions, ${r.categories} categories)`});
    })
};
