/**
 * npm run bench:eval — evaluation speed, side by side in one run, on a synthetic model made here:
 *  1. MMLU questions per second through prism's MMLU runner on the llama engine (logging every record) against the
 *     same scoring in a bare node-llama-cpp loop (lm-eval's raw-text prompt → one sequence → one next-token
 *     distribution → the log-probabilities of " A" … " D").
 *     Like for like (one question at a time), then the runner with its default batching. Target: the runner ≥ 90%.
 *  2. Judge throughput: MT-Bench judge conversations with batching on (8 at once) against off (one at a time).
 * Options: --questions N (60), --dim D (256), --layers L (4), --judgments J (16), --judge-tokens T (32), --rounds R (3:
 * the ways take turns and each keeps its fastest round, since other work shares the cores).
 * MMLU questions come from ../shared/datasets when present (real prompt lengths), else from a generated fixture.
 */
import fs from "node:fs";
import path from "node:path";
import {parseArgs} from "node:util";
import {getLlama, LlamaLogLevel, type Token} from "node-llama-cpp";
import {LlamaEngine} from "../src/engine/llama-engine.js";
import {defaultDataDir} from "../src/eval/benchmark-spec.js";
import {parseCondition} from "../src/eval/condition.js";
import {loadMmlu, MMLU_LETTERS} from "../src/eval/data/mmlu-dataset.js";
import {mmluPrompt} from "../src/eval/data/mmlu-prompt.js";
import {loadMtBench} from "../src/eval/data/mt-bench-dataset.js";
import {runJudge} from "../src/eval/judge/judge-engine.js";
import {mtBenchJudgeMessages} from "../src/eval/judge/mt-bench-judge-prompt.js";
import {builtinPersonaSet} from "../src/eval/personas/persona-set.js";
import {evalProtocol} from "../src/eval/protocol.js";
import {conditionEngine} from "../src/eval/runners/condition-engine.js";
import {MmluRecord} from "../src/eval/runners/eval-records.js";
import {argmax, runMmlu} from "../src/eval/runners/mmlu-runner.js";
import {ResultLog} from "../src/eval/runners/result-log.js";
import {writeEvalFixtures} from "../test/helpers/eval-fixtures.js";
import {tempDir, tinyModel} from "../test/helpers/tiny-models.js";

const {values} = parseArgs({options: {
    questions: {type: "string", default: "60"}, dim: {type: "string", default: "256"}, layers: {type: "string", default: "4"},
    judgments: {type: "string", default: "16"}, "judge-tokens": {type: "string", default: "32"}, rounds: {type: "string", default: "3"}
}});
const ROUNDS = Number(values.rounds);
const Q = Number(values.questions), dim = Number(values.dim), layers = Number(values.layers), J = Number(values.judgments), judgeTokens = Number(values["judge-tokens"]);
const work = tempDir("bench-eval");
const shared = defaultDataDir();
const data = shared ?? writeEvalFixtures(path.join(work, "data"), {mmluPerSubject: Math.ceil(Q / 4), mtBenchPerCategory: 2});
const questions = loadMmlu({dir: path.join(data, "mmlu"), limit: Q});
const modelPath = await tinyModel({dim, layers, heads: 8, kvHeads: 4});
const seconds = async (f: () => Promise<unknown>) => {
    const t = performance.now();
    await f();
    return (performance.now() - t) / 1000;
};

// 1a. The bare loop: what a person would write with node-llama-cpp alone.
const llama = await getLlama({gpu: false, build: "never", maxThreads: 1, logLevel: LlamaLogLevel.error});
const model = await llama.loadModel({modelPath});
const context = await model.createContext({contextSize: 2048, threads: 1});
const sequence = context.getSequence();
const letterTokens = MMLU_LETTERS.map((l) => model.tokenize(` ${l}`)[0]!);
const bare = async (): Promise<number[][]> => {
    const predicted: number[][] = [];
    for (const q of questions) {
        // Raw text, BOS when the model asks for one (as the engine and HF tokenizers do).
        const tokens = [...(model.tokens.shouldPrependBosToken && model.tokens.bos != null ? [model.tokens.bos] : []), ...model.tokenize(mmluPrompt(q))];
        await sequence.clearHistory();
        if (tokens.length > 1) await sequence.evaluateWithoutGeneratingNewTokens(tokens.slice(0, -1));
        // node-llama-cpp 3.21 hands out the next-token distribution as probabilities (greedy sampler: the whole vocabulary).
        const [out] = await sequence.controlledEvaluate([[tokens.at(-1)!, {generateNext: {probabilities: true}}]]);
        const probabilities = out!.next.probabilities!;
        predicted.push(letterTokens.map((t: Token) => Math.log(probabilities.get(t) ?? 0)));
    }
    return predicted;
};

// 1b. prism's runner on the llama engine, writing its JSONL log as in a real run.
const engine = await LlamaEngine.load({model: modelPath, gpu: false, contextSize: 2048, parallel: 8});
const runner = async (batchSize: number, label: string): Promise<MmluRecord[]> => {
    const file = path.join(work, `${label}.jsonl`);
    fs.rmSync(file, {force: true});
    using log = await ResultLog.open(file, MmluRecord);
    const condition = parseCondition("base");
    await runMmlu({model: conditionEngine({engine, condition}), condition, personas: builtinPersonaSet(), protocol: evalProtocol("standard"), questions, log, batchSize});
    return log.records();
};
// Other work shares this machine's cores, so the three ways take turns for ROUNDS rounds and each keeps its fastest.
let bareLogprobs: number[][] = [];
let sequential: MmluRecord[] = [];
await bare();
await runner(1, "warm-up");
let bareS = Infinity, sequentialS = Infinity, batchedS = Infinity;
for (let round = 0; round < ROUNDS; round++) {
    bareS = Math.min(bareS, await seconds(async () => (bareLogprobs = await bare())));
    sequentialS = Math.min(sequentialS, await seconds(async () => (sequential = await runner(1, "sequential"))));
    batchedS = Math.min(batchedS, await seconds(() => runner(8, "batched")));
}
await context.dispose();
await model.dispose();
await llama.dispose();
const qps = (s: number) => (questions.length / s).toFixed(1);
console.log(`model: llama, ${layers} layers, width ${dim}, ${engine.threads} thread(s); ${questions.length} MMLU questions from ${shared ? "../shared/datasets" : "a generated fixture"}`);
console.log(`MMLU  bare node-llama-cpp loop: ${qps(bareS)} q/s (${bareS.toFixed(2)} s)`);
console.log(`      prism runner, one at a time: ${qps(sequentialS)} q/s (${sequentialS.toFixed(2)} s)  ratio ${(bareS / sequentialS * 100).toFixed(0)}% of bare (target ≥ 90%)`);
console.log(`      prism runner, batch 8:        ${qps(batchedS)} q/s (${batchedS.toFixed(2)} s)  ratio ${(bareS / batchedS * 100).toFixed(0)}% of bare`);
const agree = sequential.filter((r, i) => r.predicted === argmax(bareLogprobs[i]!)).length;
const maxDiff = Math.max(...sequential.flatMap((r, i) => r.letterLogprobs.map((lp, j) => Math.abs(lp - bareLogprobs[i]![j]!))));
console.log(`      same answer as the bare loop on ${agree}/${questions.length} questions; largest log-probability difference ${maxDiff.toExponential(1)}`);

// 2. Judge throughput, batching on against off.
const {questions: mt, judgePrompts} = await loadMtBench({dir: path.join(data, "mt_bench"), limit: J});
const conversations = mt.slice(0, J).map((q) => mtBenchJudgeMessages(q, ["An answer to judge.", "A second answer."], 1, judgePrompts).messages);
await runJudge({engine, batchSize: 8}, conversations.slice(0, 2), judgeTokens);
let batchedOut: string[] = [], singleOut: string[] = [];
let judgeBatchedS = Infinity, judgeSingleS = Infinity;
for (let round = 0; round < ROUNDS; round++) {
    judgeBatchedS = Math.min(judgeBatchedS, await seconds(async () => (batchedOut = (await runJudge({engine, batchSize: 8}, conversations, judgeTokens)).map((o) => o.text))));
    judgeSingleS = Math.min(judgeSingleS, await seconds(async () => (singleOut = (await runJudge({engine, batchSize: 1}, conversations, judgeTokens)).map((o) => o.text))));
}
console.log(`judge ${conversations.length} judgments × ${judgeTokens} tokens  batching on (8): ${(conversations.length / judgeBatchedS).toFixed(1)}/s (${judgeBatchedS.toFixed(2)} s)  ` +
    `off: ${(conversations.length / judgeSingleS).toFixed(1)}/s (${judgeSingleS.toFixed(2)} s)  ratio ${(judgeSingleS / judgeBatchedS).toFixed(2)}×`);
console.log(`      same judge outputs: ${batchedOut.join("\u0000") === singleOut.join("\u0000")}`);
await engine.dispose();
fs.rmSync(work, {recursive: true, force: true});
