/**
 * Persona writing against answer writing on a 152k-token vocabulary (Qwen2.5's, on a stand-in written by llama.cpp's
 * gguf-py): the persona stage's schema-constrained call (the JSON grammar over the whole vocabulary at each token)
 * against the answers stage's plain call, per output token, side by side. `npm run bench:persona-grammar`.
 */
import {LlamaEngine} from "../src/engine/llama-engine.js";
import {personaPrompt} from "../src/pipeline/prompts.js";
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
