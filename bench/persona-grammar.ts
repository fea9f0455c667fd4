/**
 * Persona writing against answer writing on a 152k-token vocabulary (Qwen2.5's, on a stand-in written by llama.cpp's
 * gguf-py): the persona stage's schema-constrained call (the JSON grammar over the whole vocabulary at each token)
 * against the answers stage's plain call, per output token, side by side. `npm run bench:persona-grammar`.
 */
import {LlamaEngine} from "../src/engine/llama-engine.js";
import {personaPrompt} from "../src/prompts/pipeline-prompts.js";
import {standInModel} from "../test/helpers/llama-cpp/stand-in-models.js";

const modelPath = await standInModel({arch: "qwen2", layers: 1, dim: 256, heads: 4, kvHeads: 2, ff: 512, vocab: "qwen2", chatTemplate: "Qwen-Qwen2.5-7B-Instruct", ropeTheta: 1e6, tiedEmbeddings: true, seed: 32, quant: "q8_0"});
await using engine = await LlamaEngine.load({model: modelPath, gpu: false, parallel: 1});
const TOKENS = Number(process.env.BENCH_TOKENS ?? 200);
const {messages, schema} = personaPrompt("organic chemistry", "long");
const rows: {call: string, tokens: number, ms: number}[] = [];
for (let round = 0; round < 2; round++) {
    let t0 = performance.now();
    const obj = await engine.generateObject({messages, schema, maxTokens: TOKENS, temperature: 0.7, seed: 1}).catch((err: {details?: {outputTokens?: number}}) => ({usage: {outputTokens: err.details?.outputTokens ?? TOKENS}}));
    rows.push({call: "persona (JSON schema)", tokens: obj.usage.outputTokens, ms: performance.now() - t0});
    t0 = performance.now();
    const [text] = await engine.generate([{messages, maxTokens: TOKENS, temperature: 0.7, seed: 1}]);
    rows.push({call: "answer (plain)", tokens: text!.usage.outputTokens, ms: performance.now() - t0});
}
for (const r of rows) console.log(`${r.call.padEnd(22)} ${String(r.tokens).padStart(5)} tokens  ${(r.ms / r.tokens).toFixed(2)} ms/token`);
const per = (c: string) => rows.filter((r) => r.call.startsWith(c)).slice(-1).map((r) => r.ms / r.tokens)[0]!;
console.log(`persona / answer, per token: ${(per("persona") / per("answer")).toFixed(1)}×`);

// One domain's three personas with the old token budget (maxChars + 32) and the current one, against one answer at
// the answers stage's default 512 tokens. A random stand-in never closes its string, so each call runs to its budget.
const domainCost = async (budget: (maxChars: number, maxTokens: number) => number) => {
    const t0 = performance.now();
    let tokens = 0;
    for (const length of ["min", "short", "long"] as const) {
        const p = personaPrompt("organic chemistry", length);
        const maxTokens = budget(p.maxChars, p.maxTokens);
        const r = await engine.generateObject({messages: p.messages, schema: p.schema, maxTokens, temperature: 0.7, seed: 1})
            .catch((err: {cutByLength?: {outputTokens: number}}) => ({usage: {outputTokens: err.cutByLength?.outputTokens ?? maxTokens}}));
        tokens += r.usage.outputTokens;
    }
    return {tokens, s: (performance.now() - t0) / 1000};
};
const before = await domainCost((maxChars) => maxChars + 32);
const after = await domainCost((_, maxTokens) => maxTokens);
const t0 = performance.now();
const [answer] = await engine.generate([{messages, maxTokens: 512, temperature: 0.7, seed: 1}]);
const answerS = (performance.now() - t0) / 1000;
console.log(`personas of one domain, budget maxChars + 32: ${before.tokens} tokens, ${before.s.toFixed(1)} s`);
console.log(`personas of one domain, current budget:      ${after.tokens} tokens, ${after.s.toFixed(1)} s (${(before.s / after.s).toFixed(1)}× less)`);
console.log(`one answer (512 tokens max):                 ${answer!.usage.outputTokens} tokens, ${answerS.toFixed(1)} s; personas of a domain = ${(after.s / answerS).toFixed(1)} answers`);
