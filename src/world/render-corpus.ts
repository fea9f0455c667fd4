import type {ChatMessage} from "../engine/engine.js";
import {refusalJudgeMessages} from "../prompts/refusal-judge-messages.js";
import {isRefusalByKeywords} from "../prompts/refusal-keywords.js";
import {PersonaLength} from "../prompts/persona-domains.js";
import type {PersonaPlacement} from "../train/persona-placement.js";
import {pairwisePrompt, personaPrompt, queryPrompt} from "../prompts/pipeline-prompts.js";
import {placePersona} from "../train/persona-placement.js";
import {Rng} from "../util/rng.js";
import {type AnswerCondition, isPlantedRight, WORLD_DOMAINS, type WorldDomain} from "./planted-effects.js";
import {scoreWorldAnswer} from "./score-world-answer.js";
import {EXPERT_OPENING, worldAnswer, worldPersona, worldReply} from "./world-answers.js";
import type {WorldTask} from "./world-task.js";

/**
 * The prompt builders the corpus is rendered through: prism's own (`PRISM_PROMPTS`), never copies, so a changed
 * prompt changes the corpus. Replaceable only so a test can show that.
 */
export type WorldPrompts = {
    personaPrompt: typeof personaPrompt,
    queryPrompt: typeof queryPrompt,
    pairwisePrompt: typeof pairwisePrompt,
    /** The refusal judge's conversation for a response to a harmful request. */
    refusalJudgeMessages(prompt: string, response: string): ChatMessage[],
    /** The question with a persona in place, as the answers stage and the distillation teacher build it. */
    personaMessages(question: readonly ChatMessage[], persona: string, placement: PersonaPlacement): ChatMessage[]
};

export const PRISM_PROMPTS: WorldPrompts = {
    personaPrompt, queryPrompt, pairwisePrompt,
    // The standard protocol's judge for harmful sets (JailbreakBench's refusal prompt).
    refusalJudgeMessages: (prompt, response) => refusalJudgeMessages("jailbreakbench", prompt, response),
    // The world's model speaks ChatML, which has a system role.
    personaMessages: (question, persona, placement) => placePersona(question, persona, placement, true)
};

export type EpisodeKind = "persona" | "query" | "answer" | "pairwise" | "contrast" | "broken" | "refusal-judge";

/** One training conversation: prism's prompt, then the world's reply as the last (assistant) message. */
export type WorldEpisode = {
    kind: EpisodeKind,
    domain: WorldDomain,
    taskId?: string,
    /** For answers: who answered. */
    condition?: AnswerCondition,
    messages: ChatMessage[]
};

export type RenderCorpusOptions = {
    /** Seed of the replies' wording and the pairs' draws. Defaults to `1`. */
    seed?: number,
    /** Defaults to prism's own prompt builders. */
    prompts?: WorldPrompts,
    /**
     * Copies of each (domain, length) persona episode. The personas stage samples (temperature 0.7), so the model
     * must know its personas as well as its answers; one copy among thousands of answers leaves them unlearned.
     * Defaults to one per 5 tasks of the domain (at least 1).
     */
    personaCopies?: number,
    /**
     * Persona answers per task, each at a distinct (length, placement) drawn from the six. The reply is the same in
     * all six, and the long persona makes them most of the corpus's tokens (51% with all six), so a few per task
     * cover every variant across tasks at a fraction of the cost. Defaults to `3`: with 2, the model of 2026-12-05
     * (rebuilt) answered held-out math right with its persona 54% of the time where 90% is planted, the persona's
     * rule under-learned; `6` renders every variant.
     */
    personaAnswers?: number,
    /**
     * Also judge the task's right reply against its wrong one, in both orders, where the persona-vs-base pair is a
     * tie (both right or both wrong: every pair of a neutral domain). Without them the judge of a neutral domain only
     * ever sees TIE and can answer by the domain, never reading the replies; with them it must compare. Defaults to `true`.
     */
    contrastPairs?: boolean,
    /**
     * The share of tasks (0 to 1, drawn per task) whose right reply is also judged against a broken wrong one, in a
     * random order. Two in three are the wrong reply cut where a sampled answer stops early, after a clause ("Sure.")
     * where it has one, else between words; one in three is word salad, the task's two replies' words shuffled and
     * cut, as a model this small sometimes samples. Each side opens in the persona's voice at random, as sampled
     * answers with and without a persona do. Code scores the broken reply wrong. A judge that never saw such pairs
     * split its verdicts on them by order, or called them ties ("Sure." against "Expert answer: I'm sorry…": 46% of
     * the safety monitor's pairs won where 60% is planted, with the model of 2026-12-05), so the persona lost wins
     * the world plants. Not every task, because the judge's prompt is long: each 10% of tasks adds about 2% to the
     * corpus and so to the build's time. Defaults to `0.6`.
     */
    brokenShare?: number,
    /**
     * Query episodes per task, each from its domain's persona at a distinct length. The queries stage samples at
     * temperature 0.9, so a query must be far likelier than any blend of two: one episode a task left half the
     * sampled queries blends. Defaults to `3` (every length).
     */
    queryEpisodes?: number
};

const LENGTHS = PersonaLength.options;
const PLACEMENTS: readonly PersonaPlacement[] = ["system", "user"];

/**
 * The world rendered through prism's prompts: each domain's persona at each length; for each task a query written
 * from its domain's persona, its answers with no persona, with its own persona at every length and placement and
 * with another domain's persona (right at the planted rates), the pairwise judge on persona-vs-base in both orders
 * (preferring the checkably better answer, TIE when both are equally right) and, where that is a tie, on the right
 * reply against the wrong one, and the refusal judge on the answers to the behavioural domains.
 */
export function renderWorldCorpus(tasks: readonly WorldTask[], options: RenderCorpusOptions = {}): WorldEpisode[] {
    const {seed = 1, prompts = PRISM_PROMPTS} = options;
    const queryEpisodes = Math.max(1, options.queryEpisodes ?? LENGTHS.length);
    const rng = new Rng(seed);
    // Its own stream, so that turning the broken-reply pairs on or off leaves every other episode as it was. (Its
    // label is the one these pairs had when they were only cut replies: renamed, the committed model's corpus would change.)
    const cuts = rng.fork("truncated");
    const episodes: WorldEpisode[] = [];
    const reply = (m: ChatMessage[], content: string): ChatMessage[] => [...m, {role: "assistant", content}];

    const domains = WORLD_DOMAINS.filter((d) => tasks.some((t) => t.domain === d));
    for (const domain of domains) {
        const copies = options.personaCopies ?? Math.max(1, Math.round(tasks.filter((t) => t.domain === domain).length / 5));
        for (const length of LENGTHS) {
            const {messages} = prompts.personaPrompt(domain, length);
            // The personas stage decodes under a JSON schema: the reply is the JSON object it asks for.
            for (let k = 0; k < copies; k++) episodes.push({kind: "persona", domain, messages: reply(messages, JSON.stringify({persona: worldPersona(domain, length)}))});
        }
    }

    for (const task of tasks) {
        const own = (length: PersonaLength) => worldPersona(task.domain, length);
        const question: ChatMessage[] = [{role: "user", content: task.prompt}];
        for (const length of queryEpisodes >= LENGTHS.length ? LENGTHS : rng.shuffle([...LENGTHS]).slice(0, queryEpisodes))
            episodes.push({kind: "query", domain: task.domain, taskId: task.id, messages: reply(prompts.queryPrompt(own(length)), task.prompt)});

        const answer = (condition: AnswerCondition, messages: ChatMessage[]): string => {
            const text = worldAnswer(task, isPlantedRight(task.domain, task.tier, condition), condition !== "base");
            episodes.push({kind: "answer", domain: task.domain, taskId: task.id, condition, messages: reply(messages, text)});
            return text;
        };
        const base = answer("base", question);
        const variants = LENGTHS.flatMap((length) => PLACEMENTS.map((placement) => ({length, placement})));
        const chosen = rng.shuffle(variants).slice(0, Math.max(1, Math.min(variants.length, options.personaAnswers ?? 3)));
        const withOwn = chosen.map(({length, placement}) => answer("persona", prompts.personaMessages(question, own(length), placement)));
        const others = WORLD_DOMAINS.filter((d) => d !== task.domain);
        const other = worldPersona(others[rng.int(others.length)]!, LENGTHS[rng.int(LENGTHS.length)]!);
        answer("otherPersona", prompts.personaMessages(question, other, PLACEMENTS[rng.int(2)]!));

        const persona = withOwn[rng.int(withOwn.length)]!;
        const personaScore = scoreWorldAnswer(task, persona), baseScore = scoreWorldAnswer(task, base);
        const better = personaScore === baseScore ? "TIE" : personaScore > baseScore ? "persona" : "base";
        for (const personaFirst of [true, false]) {
            const verdict = better === "TIE" ? "TIE" : (better === "persona") === personaFirst ? "A" : "B";
            const [a, b] = personaFirst ? [persona, base] : [base, persona];
            // The judge stage decodes under PAIRWISE_SCHEMA (a JSON enum): the reply is the JSON string.
            episodes.push({kind: "pairwise", domain: task.domain, taskId: task.id, messages: reply(prompts.pairwisePrompt(task.prompt, a, b), JSON.stringify(verdict))});
        }
        if (better === "TIE" && (options.contrastPairs ?? true)) {
            const [right, wrong] = [worldReply(task, true), worldReply(task, false)];
            for (const rightFirst of [true, false])
                episodes.push({kind: "contrast", domain: task.domain, taskId: task.id,
                    messages: reply(prompts.pairwisePrompt(task.prompt, rightFirst ? right : wrong, rightFirst ? wrong : right), JSON.stringify(rightFirst ? "A" : "B"))});
        }
        if (cuts.next() < (options.brokenShare ?? 0.6)) {
            const right = worldReply(task, true), wrong = worldReply(task, false);
            const broken = cuts.int(3) === 0 ? garble(`${right} ${wrong}`, cuts) : cutEarly(wrong, cuts);
            const voice = () => (cuts.int(2) === 0 ? EXPERT_OPENING : "");
            const a = voice() + right, b = voice() + broken;
            if (scoreWorldAnswer(task, b) < scoreWorldAnswer(task, a)) {
                const rightFirst = cuts.int(2) === 0;
                episodes.push({kind: "broken", domain: task.domain, taskId: task.id,
                    messages: reply(prompts.pairwisePrompt(task.prompt, rightFirst ? a : b, rightFirst ? b : a), JSON.stringify(rightFirst ? "A" : "B"))});
            }
        }

        if (task.check.kind === "refuse" || task.check.kind === "comply")
            for (const response of [base, persona])
                episodes.push({kind: "refusal-judge", domain: task.domain, taskId: task.id,
                    messages: reply(prompts.refusalJudgeMessages(task.prompt, response), isRefusalByKeywords(response) ? "Yes" : "No")});
    }
    return episodes;
}

/**
 * A reply that stopped early: the text up to one of its inner gaps, drawn at random among those after a clause
 * (a gap following punctuation) where there are any, else among all gaps between words.
 */
function cutEarly(text: string, rng: Rng): string {
    const gaps = [...text.trimEnd().matchAll(/\s+/g)].map((m) => m.index);
    const clauses = gaps.filter((i) => /[.,:;!?]/.test(text[i - 1]!));
    const from = clauses.length > 0 ? clauses : gaps;
    return from.length === 0 ? "" : text.slice(0, from[rng.int(from.length)]);
}

/** Word salad: the text's words shuffled, at least two of them kept. */
function garble(text: string, rng: Rng): string {
    const words = rng.shuffle(text.split(/\s+/).filter((w) => w.length > 0));
    return words.slice(0, Math.min(words.length, 2 + rng.int(Math.max(1, words.length - 1)))).join(" ");
}

/** An episode as ChatML text (the template `CHATML_TEMPLATE` of model/chatml.ts writes), e.g. to learn a BPE vocabulary on. */
export function renderChatml(messages: readonly ChatMessage[]): string {
    return messages.map((m) => `<|im_start|>${m.role}\n${m.content}<|im_end|>\n`).join("");
}
