// Measures a world model through prism's engine on held-out world tasks (greedy): per domain the share of checkably
// right answers with and without the domain's persona beside the planted rates, and whether its replies to prism's
// other prompts are usable. Usage: npx tsx bench/world-model.ts [models/world.gguf] [tasks per domain, 10]
import {LlamaEngine} from "../src/engine/llama-engine.js";
import {generateWorldTasks} from "../src/world/generate-tasks.js";
import {formatWorldMeasure, measureWorldModel} from "../src/world/measure-world-model.js";

const [model = "models/world.gguf", perDomain = "10"] = process.argv.slice(2);
// 1024 tokens: the long persona prompts with an answer can pass the model's 512-token training window.
const engine = await LlamaEngine.load({model, gpu: false, threads: 1, contextSize: 1024});
// Seeds far from the build's (1 for training, 1,000,001 for its held-out loss).
const tasks = generateWorldTasks({seed: 2_000_001, perDomain: Number(perDomain)});
const measure = await measureWorldModel(engine, tasks, {onProgress: (what) => process.stderr.write(`${what}…\n`)});
console.log(formatWorldMeasure(measure));
await engine.dispose();
