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

/** One task of `domain` at `tier` (0-9), drawn from `rng`. */
export function generateWorldTask(domain: WorldDomain, tier: number, rng: Rng, id: string): WorldTask {
    if (!Number.isInteger(tier) || tier < 0 || tier >= TIERS) throw new RangeError(`tier must be an integer in [0, ${TIERS}), got ${tier}`);
    return {id, domain, tier, ...DRAFTERS[domain](tier, rng)};
}

export type GenerateWorldTasksOptions = {
    /** Seed of the draw; the same options give the same tasks. Defaults to `1`. */
    seed?: number,
    /** Tasks per domain; tiers are spread evenly (every tier equally often when a multiple of 10). Defaults to `50`. */
    perDomain?: number,
    /** Domains to draw. Defaults to all twelve. */
    domains?: readonly WorldDomain[]
};

/** Tasks for every domain, tiers balanced so that the planted rates hold exactly in each full cycle of ten. */
export function generateWorldTasks(options: GenerateWorldTasksOptions = {}): WorldTask[] {
    const {seed = 1, perDomain = 50, domains = WORLD_DOMAINS} = options;
    const root = new Rng(seed);
    return domains.flatMap((domain) => {
        const rng = root.fork(`tasks:${domain}`);
        const tiers = rng.shuffle(Array.from({length: perDomain}, (_, i) => i % TIERS));
        return tiers.map((tier, i) => generateWorldTask(domain, tier, rng, `${domain.replace(/\s+/g, "-")}-${seed}-${i}`));
    });
}
