// npm run bench:world-effect -- --model models/world.gguf [--queries N] [--limit N] [--lr X] [--epochs N] [--threads N] [--keep DIR] [--json]
// Issue 14's protocol on a world model, end to end through the CLI (dist/, so `npm run build` first): `prism bootstrap`
// with the greedy judge, then `prism eval --run … --bench world` under base, the run's own persona, adapter and prism,
// then each of the issue's criteria against the planted table, printed as met or not. The control the PRISM authors'
// code fails: the run's distill set trained again with the teacher's persona blanked (the teacher then sees what the
// student sees, as their code computes the teacher's logits), evaluated as `adapter` beside the run's own adapter:
// the run's adapter must gain on the gain domains, the blanked one must not. This is the measurement a world model is
// built against; CI asserts the same criteria once a committed model meets them.
import {spawnSync} from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {loadChatTokenizer} from "../src/engine/load-chat-tokenizer.js";
import {WorldRecord} from "../src/eval/runners/eval-records.js";
import {ResultLog} from "../src/eval/runners/result-log.js";
import {WORLD_BENCH} from "../src/eval/benchmark-spec.js";
import {logFile} from "../src/eval/run-evaluation.js";
import {meanOfMeansCi} from "../src/eval/summary/overall-score.js";
import {writeGgufLora} from "../src/lora/gguf-lora.js";
import {resolveBootstrapConfig, type BootstrapConfigInput} from "../src/pipeline/bootstrap-config.js";
import {distillExamples, distillTrainConfig} from "../src/pipeline/distill-stage.js";
import {computeRunSummary} from "../src/pipeline/run-summary.js";
import {requireRunManifest} from "../src/run/run-manifest.js";
import {LoraTrainer} from "../src/train/lora-trainer.js";
import {EvalSummary} from "../src/eval/summary/eval-summary.js";
import {PLANTED_EFFECTS, plantedWinRate, WORLD_DOMAINS} from "../src/world/planted-effects.js";
import {printLast} from "./bench-helpers.js";

const argv = process.argv.slice(2);
const flag = (name: string, fallback?: string) => (argv.includes(`--${name}`) ? argv[argv.indexOf(`--${name}`) + 1]! : fallback);
const json = argv.includes("--json");
const model = path.resolve(flag("model", "models/world.gguf")!);
const queries = flag("queries", "20")!, limit = flag("limit", "120")!, threads = flag("threads", "1")!;
// The adapter's training, scaled down with the rest: a tiny model's distill set is a few dozen answers.
const lr = flag("lr", "5e-3")!, epochs = flag("epochs", "4")!;
const dir = flag("keep") ? path.resolve(flag("keep")!) : fs.mkdtempSync(path.join(os.tmpdir(), "prism-world-effect-"));
const cli = path.join(import.meta.dirname, "../dist/cli/main.js");
if (!fs.existsSync(model)) throw new Error(`no world model at ${model}: make one with prism world build, or pass --model`);

function prism(args: string[]): void {
    const started = performance.now();
    const r = spawnSync(process.execPath, [cli, ...args], {encoding: "utf8", maxBuffer: 256 * 1024 ** 2});
    if (r.status !== 0) throw new Error(`prism ${args.join(" ")} failed (exit ${r.status}):\n${r.stderr.slice(-4000)}`);
    if (!json) console.error(`prism ${args[0]}: ${((performance.now() - started) / 1000).toFixed(0)} s`);
}

const runDir = path.join(dir, "run"), evalDir = path.join(dir, "eval");
const started = performance.now();
prism(["bootstrap", "--model", model, "--out", runDir, "--queries-per-intent", queries, "--persona-length", "short", "--answer-max-tokens", "48",
    "--judge-temperature", "0", "--lr", lr, "--epochs", epochs, "--threads", threads, "--no-gpu", "--json"]);
prism(["eval", "--run", runDir, "--bench", "world", "--conditions", "base,persona:short:system,adapter,prism", "--limit", limit, "--out", evalDir, "--json"]);

// The control: the same distill set and trainer settings, the teacher's prompt blanked to the student's.
const controlPath = path.join(dir, "blanked-adapter.gguf"), controlEval = path.join(dir, "eval-blanked");
{
    const config = resolveBootstrapConfig((await requireRunManifest(runDir)).config as BootstrapConfigInput);
    const trainConfig = distillTrainConfig(config);
    const tokenizer = await loadChatTokenizer(model);
    const examples = await distillExamples(path.join(runDir, "distill.jsonl"), tokenizer, trainConfig.maxLen).finally(() => tokenizer.dispose());
    using trainer = await LoraTrainer.create({...trainConfig, modelPath: model, threads: Number(threads), device: "cpu"});
    await trainer.train(examples.train.map((e) => ({...e, teacherPrompt: e.prompt})));
    await writeGgufLora(controlPath, trainer.adapter());
}
prism(["eval", "--model", model, "--adapter", controlPath, "--bench", "world", "--conditions", "base,adapter", "--limit", limit, "--out", controlEval, "--json"]);
const seconds = (performance.now() - started) / 1000;

const run = await computeRunSummary(runDir);
const evalSummary = EvalSummary.parse(JSON.parse(fs.readFileSync(path.join(evalDir, "summary.json"), "utf8")));
const world = evalSummary.world!;
const score = (condition: string, domain: string) => evalSummary.scores.find((s) => s.benchmark === "world" && s.category === domain && s.condition === condition)?.score ?? null;
const persona = world.persona ?? "persona:short:system";

type Check = {name: string, value: string, met: boolean};
const checks: Check[] = [];
const check = (name: string, value: string, met: boolean) => checks.push({name, value, met});
const pct = (x: number | null) => (x === null ? "–" : `${(100 * x).toFixed(0)}%`);
const pts = (x: number | null) => (x === null ? "–" : x.toFixed(1));

for (const domain of WORLD_DOMAINS) {
    const row = run.domains.find((d) => d.domain.toLowerCase() === domain.toLowerCase());
    const planted = plantedWinRate(domain), got = row?.personaWinRate ?? null;
    check(`win rate ${domain} (planted ${pct(planted)})`, pct(got), got !== null && Math.abs(got - planted) <= 0.1);
}
check("gate held-out AUC ≥ 0.9", run.overall.gateAuc === null ? "–" : run.overall.gateAuc.toFixed(3), (run.overall.gateAuc ?? 0) >= 0.9);
const {heldOutKlBefore: klBefore, heldOutKlAfter: klAfter} = run.adapter;
check("held-out KL to the teacher −50%", `${klBefore?.toFixed(3) ?? "–"} → ${klAfter?.toFixed(3) ?? "–"}`, klBefore !== null && klAfter !== null && klAfter <= 0.5 * klBefore);

const gain = WORLD_DOMAINS.filter((d) => PLANTED_EFFECTS[d].kind === "gain"), loss = WORLD_DOMAINS.filter((d) => PLANTED_EFFECTS[d].kind === "loss");
const meanOf = (condition: string, domains: readonly string[]) => {
    const xs = domains.map((d) => score(condition, d)).filter((x): x is number => x !== null);
    return xs.length === domains.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null;
};
const gBase = meanOf("base", gain), gPersona = meanOf(persona, gain), gAdapter = meanOf("adapter", gain), gPrism = meanOf("prism", gain);
const recovery = gBase !== null && gPersona !== null && gAdapter !== null && gPersona > gBase ? (gAdapter - gBase) / (gPersona - gBase) : null;
check("gain domains: adapter recovers ≥ 80% of the persona's gain", `base ${pts(gBase)}, persona ${pts(gPersona)}, adapter ${pts(gAdapter)}: ${pct(recovery)}`, (recovery ?? 0) >= 0.8);
check("gain domains: prism within 2 points of the persona", `prism ${pts(gPrism)}, persona ${pts(gPersona)}`, gPrism !== null && gPersona !== null && Math.abs(gPrism - gPersona) <= 2);
const lBase = meanOf("base", loss), lPrism = meanOf("prism", loss);
check("loss domains: prism within 2 points of base", `prism ${pts(lPrism)}, base ${pts(lBase)}`, lBase !== null && lPrism !== null && Math.abs(lPrism - lBase) <= 2);
for (const baseline of ["base", persona, "adapter"]) {
    const d = world.differences.find((x) => x.baseline === baseline);
    check(`world overall: prism − ${baseline} > 0, 95% interval above 0`, d ? `${pts(d.delta)} [${pts(d.ci.low)}, ${pts(d.ci.high)}]` : "–", (d?.ci.low ?? -1) > 0);
}
/** adapter − base on the gain domains' items, paired per item, domains weighed alike, with a 95% bootstrap interval (points). */
async function adapterGain(evalOut: string) {
    const log = async (condition: string) => new Map((await ResultLog.read(logFile(evalOut, WORLD_BENCH, condition), WorldRecord)).map((r) => [r.id, r]));
    const base = await log("base"), adapter = await log("adapter");
    const parts = gain.map((d) => [...adapter.values()].filter((r) => r.domain === d && base.has(r.id)).map((r) => 100 * (r.score - base.get(r.id)!.score))).filter((v) => v.length > 0);
    const delta = parts.length > 0 ? parts.map((v) => v.reduce((a, b) => a + b, 0) / v.length).reduce((a, b) => a + b, 0) / parts.length : null;
    return {delta, ci: parts.length > 0 ? meanOfMeansCi(parts, {iterations: 2000, seed: 1}) : {low: null, high: null}};
}
const own = await adapterGain(evalDir), blanked = await adapterGain(controlEval);
const show = (g: typeof own) => `${pts(g.delta)} [${pts(g.ci.low)}, ${pts(g.ci.high)}]`;
check("the run's adapter gains on the gain domains (interval above 0)", show(own), (own.ci.low ?? -1) > 0);
check("the blanked-persona control does not (interval includes 0)", show(blanked), blanked.ci.low !== null && blanked.ci.high !== null && blanked.ci.low <= 0 && blanked.ci.high >= 0);
const {pearson, spearman} = world.correlation;
check("routing share vs persona gain: Pearson and Spearman ≥ 0.8", `r ${pearson?.toFixed(2) ?? "–"}, ρ ${spearman?.toFixed(2) ?? "–"}`, (pearson ?? 0) >= 0.8 && (spearman ?? 0) >= 0.8);

const met = checks.filter((c) => c.met).length;
printLast(json, [
    `issue 14's protocol on ${model}: bootstrap (${queries} queries a domain, short persona, greedy judge, adapter lr ${lr} × ${epochs} epochs) and --bench world (${limit} held-out tasks), ${seconds.toFixed(0)} s; files in ${dir}`,
    ...checks.map((c) => `  ${c.met ? "met    " : "NOT MET"} ${c.name}: ${c.value}`),
    `${met} of ${checks.length} criteria met`
], {model, dir, seconds: Math.round(seconds), met, total: checks.length, checks});
