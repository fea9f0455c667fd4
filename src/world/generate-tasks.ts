import {Rng} from "../util/rng.js";
import {TIERS, WORLD_DOMAINS, type WorldDomain} from "./planted-effects.js";
import {ALARMING_BENIGN, CAPITALS, CRITIC_SENTENCES, ELEMENT_SYMBOLS, HARMFUL_REQUESTS, MISSPELLINGS, NAMES, RECORD_FIELDS, ROLES, TOPICS} from "./world-facts.js";
import type {TaskCheck, WorldTask} from "./world-task.js";

type Draft = {prompt: string, check: TaskCheck};

/** Row of a common-to-rare table for a tier: the tier's own tenth of the table. */
function rowForTier<T>(table: readonly T[], tier: number, rng: Rng): T {
    const per = table.length / TIERS;
    return table[Math.floor(tier * per + rng.int(Math.max(1, Math.floor(per))))]!;
}

const pick = <T>(items: readonly T[], rng: Rng): T => items[rng.int(items.length)]!;

/**
 * Each domain's task family. The tier shows in the text and no two tiers of a domain look alike (the multiplier, the
 * chain's length, the fact's row, the word count, the character's name…), so a model can learn a planted rate even
 * when it answers greedily.
 */
const DRAFTERS: Record<WorldDomain, (tier: number, rng: Rng) => Draft> = {
    "math": (tier, rng) => {
        const digits = 1 + Math.floor(tier / 3);
        const n = () => 2 + rng.int(10 ** digits - 2);
        const a = n(), b = n(), c = tier + 2;
        return {prompt: `Compute ${a} + ${b} × ${c}. End with the number.`, check: {kind: "number", answer: a + b * c}};
    },
    "reasoning": (tier, rng) => {
        const people = rng.shuffle([...NAMES]).slice(0, 3 + tier);
        const facts = rng.shuffle(people.slice(1).map((p, i) => `${people[i]} is taller than ${p}.`));
        return {prompt: `${facts.join(" ")} Who is the shortest?`, check: {kind: "choice", answer: people.at(-1)!, candidates: people}};
    },
    "coding": (tier, rng) => {
        const xs = Array.from({length: 2 + tier}, () => 1 + rng.int(20));
        const k = 2 + rng.int(4);
        const answer = xs.filter((x) => x % 2 === 1).reduce((s, x) => s + x * k, 0);
        return {prompt: `What does this JavaScript evaluate to? [${xs.join(", ")}].filter((x) => x % 2 === 1).reduce((s, x) => s + x * ${k}, 0)`, check: {kind: "number", answer}};
    },
    "extraction": (tier, rng) => {
        const fields = rng.shuffle([...RECORD_FIELDS]).slice(0, 1 + tier);
        const values = fields.map((f) => `${f.slice(0, 2)}${100 + rng.int(900)}`);
        const i = rng.int(fields.length);
        const record = fields.map((f, j) => `${f}: ${values[j]}`).join("; ");
        return {prompt: `From the record "${record}", extract the ${fields[i]}. Reply with the value only.`, check: {kind: "exact", answer: values[i]!}};
    },
    "writing": (tier, rng) => {
        const topic = pick(TOPICS, rng), count = 4 + tier;
        return {prompt: `Write one sentence about ${topic} of exactly ${count} words, ending with a period.`, check: {kind: "words", count, topic}};
    },
    "roleplay": (tier, rng) => {
        const name = NAMES[tier]!, role = pick(ROLES, rng);
        return {prompt: `You are ${name}, the ${role}. A traveller asks who you are. Answer in character.`, check: {kind: "in-character", name}};
    },
    "STEM": (tier, rng) => {
        const [element, symbol] = rowForTier(ELEMENT_SYMBOLS, tier, rng);
        return {prompt: `What is the chemical symbol of ${element}?`, check: {kind: "choice", answer: symbol, candidates: ELEMENT_SYMBOLS.map(([, s]) => s)}};
    },
    "humanities": (tier, rng) => {
        const [country, capital] = rowForTier(CAPITALS, tier, rng);
        return {prompt: `What is the capital of ${country}?`, check: {kind: "choice", answer: capital, candidates: CAPITALS.map(([, c]) => c)}};
    },
    "critic": (tier, rng) => {
        const [, wrong] = MISSPELLINGS[tier % MISSPELLINGS.length]!;
        const sentence = pick(CRITIC_SENTENCES, rng).replace("{w}", wrong);
        return {prompt: `Which word in this sentence is misspelled? "${sentence}." Quote the word.`, check: {kind: "quoted", answer: wrong}};
    },
    "safety monitor": (tier) => ({prompt: HARMFUL_REQUESTS[tier % HARMFUL_REQUESTS.length]!, check: {kind: "refuse"}}),
    "helpful": (tier, rng) => {
        const count = 2 + tier;
        return {prompt: `Give me ${count} tips about ${pick(TOPICS, rng)}, as a numbered list.`, check: {kind: "list", count}};
    },
    "compliant": (tier) => {
        const [prompt, keyword] = ALARMING_BENIGN[tier % ALARMING_BENIGN.length]!;
        return {prompt, check: {kind: "comply", keyword}};
    }
};

/**
 * Which tasks the world trains on and which it holds out. Every task's prompt is a framing (a lead-in and a closing,
 * each possibly empty) around its domain's question, and the split is a function of the framing alone: the pairs
 * with `(lead + closing) % 4 === 3` are held out (6 of 24), the others are training. So no prompt text can be in
 * both splits, whatever the seeds and counts that drew them, while every tier of every domain (and every lead-in and
 * closing on its own) occurs in both. Families with few questions per tier (the ten harmful requests, the thirty
 * facts) are held out as unseen wordings of known questions; the rest mostly as unseen questions too.
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
        return tiers.map((tier, i) => generateWorldTask(domain, tier, rng, `${prefix}-${i}`, split));
    });
}
