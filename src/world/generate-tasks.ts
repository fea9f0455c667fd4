import {Rng} from "../util/rng.js";
import {TIERS, WORLD_DOMAINS, type WorldDomain} from "./planted-effects.js";
import {ALARMING_BENIGN, CAPITALS, CODE_WORDS, COLOURS, CRITIC_SENTENCES, ELEMENT_SYMBOLS, HARMFUL_REQUESTS, MISSPELLINGS, NAMES, TEAMS, TOPICS, WRITING_WORDS} from "./world-facts.js";
import type {TaskCheck, WorldTask} from "./world-task.js";

type Draft = {prompt: string, check: TaskCheck};

const pick = <T>(items: readonly T[], rng: Rng): T => items[rng.int(items.length)]!;

/**
 * Each domain's task family. Families are small closed sets of questions, one to a few per tier, and the tier shows
 * in the text (the operand, the names, the word, the fact's row, the topic…), so a model of about a million
 * parameters can learn both the answers and a planted rate, even when it answers greedily. Open-ended families
 * (multi-digit arithmetic, long chains, record extraction, exact word counts) were tried first and a model of that
 * size learned none of them in a build's budget (README, "The planted world"): a world the model cannot learn
 * measures nothing. The gain domains ask one question per tier: with two to four (fact and question worded either
 * way), the committed model of 2026-12-05 got the planted form ("The answer is" vs a hedge) right but picked the
 * reasoning family's name at random, 48% right with the persona on held-out tasks where 90% is planted, and the
 * persona's gain the world measures must be the planted one.
 */
const DRAFTERS: Record<WorldDomain, (tier: number, rng: Rng) => Draft> = {
    "math": (tier) => {
        // One slot, the multiplicand: with two (b = 2 + tier % 2), the model wrote itself queries joining one tier's
        // a with another's b ("What is 8 times 3?"), questions no tier asks, and its persona's wins fell to 67%.
        const a = tier + 2;
        return {prompt: `What is ${a} times 3?`, check: {kind: "number", answer: a * 3}};
    },
    "reasoning": (tier) => {
        const [tall, short] = [NAMES[tier]!, NAMES[tier + 1]!];
        const askShorter = tier % 2 === 1;
        return {prompt: `${tall} is taller than ${short}. Who is the ${askShorter ? "shorter" : "taller"} one?`, check: {kind: "choice", answer: askShorter ? short : tall, candidates: [tall, short]}};
    },
    "coding": (tier) => {
        const word = CODE_WORDS[tier]!;
        return {prompt: `What does len("${word}") return in Python?`, check: {kind: "number", answer: word.length}};
    },
    "extraction": (tier) => {
        const [field, value] = tier % 2 === 0 ? ["colour", COLOURS[tier]!] : ["team", TEAMS[tier]!];
        return {prompt: `From the record "id: ${tier + 1}; ${field}: ${value}", extract the ${field}. Reply with the value only.`, check: {kind: "exact", answer: value}};
    },
    "writing": (tier) => {
        const topic = TOPICS[tier]!;
        return {prompt: `Write one sentence about ${topic} of exactly ${WRITING_WORDS} words, ending with a period.`, check: {kind: "words", count: WRITING_WORDS, topic}};
    },
    "roleplay": (tier) => {
        // One slot, the name: with a role beside it, the model wrote itself queries pairing one tier's name with
        // another's role and answered by the role, so a persona's "win" was a name the question never gave.
        const name = NAMES[tier]!;
        return {prompt: `You are ${name}. A traveller asks who you are. Answer in character.`, check: {kind: "in-character", name}};
    },
    "STEM": (tier) => {
        const [element, symbol] = ELEMENT_SYMBOLS[tier]!;
        return {prompt: `What is the chemical symbol of ${element}?`, check: {kind: "choice", answer: symbol, candidates: ELEMENT_SYMBOLS.map(([, s]) => s)}};
    },
    "humanities": (tier) => {
        const [country, capital] = CAPITALS[tier]!;
        return {prompt: `What is the capital of ${country}?`, check: {kind: "choice", answer: capital, candidates: CAPITALS.map(([, c]) => c)}};
    },
    "critic": (tier, rng) => {
        const [, wrong] = MISSPELLINGS[tier]!;
        const sentence = pick(CRITIC_SENTENCES, rng).replace("{w}", wrong);
        return {prompt: `Which word in this sentence is misspelled? "${sentence}." Quote the word.`, check: {kind: "quoted", answer: wrong}};
    },
    "safety monitor": (tier) => ({prompt: HARMFUL_REQUESTS[tier]!, check: {kind: "refuse"}}),
    "helpful": (tier) => {
        const count = 2 + (tier % 2);
        return {prompt: `Give me ${count} tips about ${TOPICS[tier]!}, as a numbered list.`, check: {kind: "list", count}};
    },
    "compliant": (tier) => {
        const [prompt, keyword] = ALARMING_BENIGN[tier]!;
        return {prompt, check: {kind: "comply", keyword}};
    }
};

/**
 * Which tasks the world trains on and which it holds out. Every task's prompt is a framing (a lead-in and a closing,
 * each possibly empty) around its domain's question, and the split is a function of the framing alone: the pairs
 * with `(lead + closing) % 4 === 3` are held out (6 of 24), the others are training. So no prompt text can be in
 * both splits, whatever the seeds and counts that drew them, while every tier of every domain (and every lead-in and
 * closing on its own) occurs in both. Families have one to a few questions per tier (see DRAFTERS), so held-out
 * tasks are unseen wordings of known questions: the world tests prism's machinery on them, not the model's reach.
 */
export type WorldSplit = "train" | "heldout";

const LEAD_INS = ["", "Quick question: ", "Hi! ", "Please help me. ", "I need this for work. ", "Be precise. "] as const;
const CLOSINGS = ["", " Thanks.", " Please answer now.", " Keep it short."] as const;
const FRAMINGS: readonly {lead: string, closing: string, split: WorldSplit}[] = LEAD_INS.flatMap((lead, i) =>
    CLOSINGS.map((closing, j) => ({lead, closing, split: (i + j) % CLOSINGS.length === CLOSINGS.length - 1 ? "heldout" as const : "train" as const})));

/** The split a prompt's framing puts it in (undefined for a prompt no generator framed). */
export function worldSplitOf(task: Pick<WorldTask, "prompt" | "question">): WorldSplit | undefined {
    return FRAMINGS.find((f) => f.lead + task.question + f.closing === task.prompt)?.split;
}

/** One task of `domain` at `tier` (0-9) in `split`, drawn from `rng`. */
export function generateWorldTask(domain: WorldDomain, tier: number, rng: Rng, id: string, split: WorldSplit = "train"): WorldTask {
    if (!Number.isInteger(tier) || tier < 0 || tier >= TIERS) throw new RangeError(`tier must be an integer in [0, ${TIERS}), got ${tier}`);
    const {prompt: question, check} = DRAFTERS[domain](tier, rng);
    const framings = FRAMINGS.filter((f) => f.split === split);
    const {lead, closing} = framings[rng.int(framings.length)]!;
    return {id, domain, tier, prompt: lead + question + closing, question, check};
}

export type GenerateWorldTasksOptions = {
    /** Seed of the draw; the same options give the same tasks. Defaults to `1`. */
    seed?: number,
    /** Tasks per domain; tiers are spread evenly (every tier equally often when a multiple of 10). Defaults to `50`. */
    perDomain?: number,
    /** Domains to draw. Defaults to all twelve. */
    domains?: readonly WorldDomain[],
    /** `train` (what the world model learns from) or `heldout` (what `prism eval --bench world` asks). Defaults to `"train"`. */
    split?: WorldSplit
};

/** Tasks for every domain, tiers balanced so that the planted rates hold exactly in each full cycle of ten. */
export function generateWorldTasks(options: GenerateWorldTasksOptions = {}): WorldTask[] {
    const {seed = 1, perDomain = 50, domains = WORLD_DOMAINS, split = "train"} = options;
    const root = new Rng(seed);
    return domains.flatMap((domain) => {
        // Held-out draws fork their own stream and carry their own ids, so neither split shifts the other.
        const rng = root.fork(split === "train" ? `tasks:${domain}` : `tasks:${split}:${domain}`);
        const tiers = rng.shuffle(Array.from({length: perDomain}, (_, i) => i % TIERS));
        const prefix = `${domain.replace(/\s+/g, "-")}-${split === "train" ? "" : "heldout-"}${seed}`;
        // The held-out split is a benchmark: under greedy decoding a repeated prompt repeats its answer, so it would
        // weigh one item several times and narrow the bootstrap intervals without adding evidence (with draws like
        // the training split's, 50 a domain held 33-49 distinct prompts, one of them 5 times). So its prompts are
        // distinct while the (tier, question, framing) space allows: at least six a tier, five a tier at 50 a domain.
        // The training split keeps its draw (one a task): the committed model was built from it.
        const distinct = split === "heldout", seen = new Set<string>();
        return tiers.map((tier, i) => {
            const draw = () => generateWorldTask(domain, tier, rng, `${prefix}-${i}`, split);
            let task = draw();
            for (let attempt = 1; distinct && seen.has(task.prompt) && attempt < DISTINCT_ATTEMPTS; attempt++) task = draw();
            seen.add(task.prompt);
            return task;
        });
    });
}

/** Draws of a held-out task before a repeated prompt is accepted (the space of a tier is exhausted). */
const DISTINCT_ATTEMPTS = 64;
