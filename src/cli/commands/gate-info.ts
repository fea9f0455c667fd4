import type {CommandModule} from "yargs";
import type {BinaryMetrics} from "../../gate/binary-metrics.js";
import {describeGate, type GateDescription} from "../../gate/describe-gate.js";
import {describeFeatureDefinition} from "../../gate/gate-features.js";
import {formatBytes, formatTable, printResult} from "../output.js";
import {runCommand} from "../run-command.js";

type GateInfoArgs = {file: string, json: boolean};

export const GateInfoCommand: CommandModule<object, GateInfoArgs> = {
    command: "gate-info <file>",
    describe: "Show a gate file: classifier, features, model, threshold and held-out metrics",
    builder: (y) => y
        .positional("file", {type: "string", demandOption: true, describe: "Gate file (JSON, written by bootstrap)"})
        .option("json", {type: "boolean", default: false, describe: "Print one JSON object (without the weights)"})
        .example("$0 gate-info run/gate.json", "kind, threshold, MLP vs logistic regression on the held-out share, per domain"),
    handler: (args) => runCommand(async () => {
        const d = await describeGate(args.file);
        printResult(d, {json: args.json, human: () => formatGate(d)});
    })
};

function formatGate(d: GateDescription): string {
    const rows: [string, string | number][] = [
        ["file", `${d.path} (${formatBytes(d.fileSizeBytes)})`],
        ["classifier", `${d.kind === "mlp" ? "MLP" : "logistic regression"} ${d.widths.join(" → ")} (${d.parameters.toLocaleString("en-US")} parameters)`],
        ["features", describeFeatureDefinition(d.features)],
        ["model", d.modelFingerprint],
        ["threshold", `${+d.threshold.toFixed(4)}${d.thresholdMethod === "balanced-accuracy" ? " (calibrated: best held-out balanced accuracy)" : d.thresholdMethod === "fixed" ? " (fixed)" : ""}`],
        ["created", d.createdAt]
    ];
    const t = d.training;
    if (!t) return formatTable(rows) + "\n(no training record)";
    rows.push(["examples", `${t.examples} (persona won ${t.positives}), ${t.heldOutExamples} held out`], ["seed", t.seed], ["selection", t.selection]);
    const table = [["", "AUC", "acc", "bal. acc", "log-loss", "n"]];
    const row = (name: string, m: BinaryMetrics) => [name, m.auc === null ? "n/a" : m.auc.toFixed(3), m.accuracy.toFixed(3), m.balancedAccuracy.toFixed(3), m.logLoss.toFixed(3), String(m.count)];
    for (const [kind, c] of Object.entries(t.candidates)) table.push(row(`${kind} @0.5${kind === d.kind ? " *" : ""}`, c.heldOut));
    table.push(row(`gate @${+d.threshold.toFixed(4)}`, t.heldOut));
    for (const [domain, m] of Object.entries(t.perDomain ?? {})) table.push(row(`  ${domain}`, m));
    const widths = table[0]!.map((_, j) => Math.max(...table.map((r) => r[j]!.length)));
    const lines = table.map((r) => r.map((cell, j) => (j === 0 ? cell.padEnd(widths[j]!) : cell.padStart(widths[j]!))).join("  "));
    return `${formatTable(rows)}\n\nheld-out (* = chosen):\n${lines.join("\n")}`;
}
