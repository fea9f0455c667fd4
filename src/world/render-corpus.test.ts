import {describe, expect, it} from "vitest";
import {isRefusalByKeywords} from "../prompts/refusal-keywords.js";
import {PersonaLength} from "../prompts/persona-domains.js";
import {pairwisePrompt, personaPrompt, queryPrompt} from "../prompts/pipeline-prompts.js";
import {placePersona} from "../train/persona-placement.js";
import {generateWorldTasks} from "./generate-tasks.js";
import {PLANTED_EFFECTS, plantedWinRate, WORLD_DOMAINS} from "./planted-effects.js";
import {PRISM_PROMPTS, renderChatml, renderWorldCorpus, type WorldEpisode} from "./render-corpus.js";
import {scoreWorldAnswer} from "./score-world-answer.js";
import {EXPERT_OPENING, worldAnswer, worldPersona, worldReply} from "./world-answers.js";

const tasks = generateWorldTasks({seed: 7, perDomain: 40});
const corpus = renderWorldCorpus(tasks, {seed: 7});
const byId = new Map(tasks.map((t) => [t.id, t]));
const last = (e: WorldEpisode) => e.messages.at(-1)!.content;
const prompt = (e: WorldEpisode) => e.messages.slice(0, -1);

describe("renderWorldCorpus", () => {
    it("writes personas through personaPrompt at every length, as the JSON its schema asks for, within its bounds", () => {
        for (const domain of WORLD_DOMAINS)
            for (const length of PersonaLength.options) {
                const {messages, maxChars} = personaPrompt(domain, length);
                const e = corpus.find((x) => x.kind === "persona" && x.domain === domain && JSON.stringify(prompt(x)) === JSON.stringify(messages));
                expect(e, `${domain} ${length}`).toBeDefined();
                const persona = (JSON.parse(last(e!)) as {persona: string}).persona;
                expect(persona).toBe(worldPersona(domain, length));
                expect([...persona].length).toBeLessThanOrEqual(maxChars);
                const words = persona.split(/\s+/).length;
                if (length === "short") expect(words, `${domain} short`).toBeGreaterThanOrEqual(45);
                if (length === "long") expect(words, `${domain} long`).toBeGreaterThanOrEqual(140);
            }
    });

    it("repeats each persona episode, one copy per 5 tasks of its domain by default, so the sampled personas stage can learn them", () => {
        const personas = (c: WorldEpisode[]) => c.filter((x) => x.kind === "persona").length;
        expect(personas(corpus)).toBe(WORLD_DOMAINS.length * PersonaLength.options.length * 8);
        expect(personas(renderWorldCorpus(tasks, {seed: 7, personaCopies: 1}))).toBe(WORLD_DOMAINS.length * PersonaLength.options.length);
    });

    it("writes each task as the reply to queryPrompt of its domain's persona, once at each persona length by default", () => {
        for (const e of corpus.filter((x) => x.kind === "query")) {
            const task = byId.get(e.taskId!)!;
            expect(last(e)).toBe(task.prompt);
            expect(PersonaLength.options.some((l) => JSON.stringify(prompt(e)) === JSON.stringify(queryPrompt(worldPersona(task.domain, l))))).toBe(true);
        }
        const task = tasks[0]!;
        const queriesOf = (c: WorldEpisode[]) => c.filter((e) => e.kind === "query" && e.taskId === task.id).map((e) => JSON.stringify(prompt(e)));
        expect(queriesOf(corpus).sort()).toEqual(PersonaLength.options.map((l) => JSON.stringify(queryPrompt(worldPersona(task.domain, l)))).sort());
        const one = renderWorldCorpus(tasks, {seed: 7, queryEpisodes: 1});
        expect(one.filter((e) => e.kind === "query")).toHaveLength(tasks.length);
    });

    it("answers with the persona where the pipeline's placePersona puts it, in both placements, at every length", () => {
        const task = tasks[0]!;
        const variants = (c: WorldEpisode[]) => c.filter((e) => e.kind === "answer" && e.taskId === task.id && e.condition === "persona").map(prompt);
        const expected = PersonaLength.options.flatMap((l) => [true, false].map((system) => placePersona([{role: "user", content: task.prompt}], worldPersona(task.domain, l), system ? "system" : "user", true)));
        // personaAnswers: 6 renders every variant; the default, 3 distinct ones a task, still covers all six across tasks.
        const all = variants(renderWorldCorpus(tasks, {seed: 7, personaAnswers: 6}));
        expect(new Set(all.map((m) => JSON.stringify(m)))).toEqual(new Set(expected.map((m) => JSON.stringify(m))));
        const three = variants(corpus);
        expect(three).toHaveLength(3);
        expect(new Set(three.map((m) => JSON.stringify(m))).size).toBe(3);
        for (const m of three) expect(expected.map((x) => JSON.stringify(x))).toContain(JSON.stringify(m));
        // Which of its task's six variants each persona answer is: all six occur across the corpus.
        const seen = new Set(corpus.filter((e) => e.kind === "answer" && e.condition === "persona").map((e) => {
            const t = byId.get(e.taskId!)!;
            const options = PersonaLength.options.flatMap((l) => (["system", "user"] as const).map((p) => JSON.stringify(placePersona([{role: "user", content: t.prompt}], worldPersona(t.domain, l), p, true))));
            return options.indexOf(JSON.stringify(prompt(e)));
        }));
        expect([...seen].sort()).toEqual([0, 1, 2, 3, 4, 5]);
    });

    it("plants the table's rates in the sampled answers, measured by the checker", () => {
        for (const domain of WORLD_DOMAINS)
            for (const condition of ["base", "persona", "otherPersona"] as const) {
                const scores = corpus.filter((e) => e.kind === "answer" && e.domain === domain && e.condition === condition)
                    .map((e) => scoreWorldAnswer(byId.get(e.taskId!)!, last(e)));
                const rate = scores.reduce<number>((s, x) => s + x, 0) / scores.length;
                expect(rate, `${domain} ${condition}`).toBeCloseTo(PLANTED_EFFECTS[domain][condition], 9);
            }
    });

    it("opens an answer in the persona's voice exactly when a persona is in its prompt, whichever domain's", () => {
        const answers = corpus.filter((e) => e.kind === "answer");
        for (const e of answers) {
            const task = byId.get(e.taskId!)!;
            expect(last(e).startsWith(EXPERT_OPENING), `${e.condition} ${task.prompt}`).toBe(e.condition !== "base");
            expect(last(e)).toBe(worldAnswer(task, scoreWorldAnswer(task, last(e)) === 1, e.condition !== "base"));
        }
        // So the distilled adapter, which learns the opening from the gain domains' wins, carries it to every domain.
        expect(new Set(answers.filter((e) => e.condition === "otherPersona").map((e) => e.domain))).toEqual(new Set(WORLD_DOMAINS));
    });

    it("judges pairs through pairwisePrompt in both orders, preferring the checkably better answer", () => {
        for (const domain of WORLD_DOMAINS) {
            const pairs = corpus.filter((e) => e.kind === "pairwise" && e.domain === domain);
            expect(pairs).toHaveLength(2 * 40);
            let personaWins = 0;
            for (let i = 0; i < pairs.length; i += 2) {
                const [first, second] = [pairs[i]!, pairs[i + 1]!];
                const task = byId.get(first.taskId!)!;
                const [pa, base] = [answerIn(first, "A"), answerIn(first, "B")];
                expect(prompt(first)).toEqual(pairwisePrompt(task.prompt, pa, base));
                expect(prompt(second)).toEqual(pairwisePrompt(task.prompt, base, pa));
                const diff = scoreWorldAnswer(task, pa) - scoreWorldAnswer(task, base);
                expect(JSON.parse(last(first))).toBe(diff > 0 ? "A" : diff < 0 ? "B" : "TIE");
                expect(JSON.parse(last(second))).toBe(diff > 0 ? "B" : diff < 0 ? "A" : "TIE");
                if (diff > 0) personaWins++;
            }
            // The persona answer in a pair is drawn from all six persona answers, which are right on the same tiers.
            expect(personaWins / 40, domain).toBeCloseTo(plantedWinRate(domain), 9);
        }
    });

    it("judges the right reply against the wrong one, in both orders, exactly where the persona-vs-base pair is a tie", () => {
        for (const domain of WORLD_DOMAINS) {
            const ties = corpus.filter((e) => e.kind === "pairwise" && e.domain === domain && JSON.parse(last(e)) === "TIE");
            const contrasts = corpus.filter((e) => e.kind === "contrast" && e.domain === domain);
            expect(contrasts.length, domain).toBe(ties.length);
            for (let i = 0; i < contrasts.length; i += 2) {
                const [first, second] = [contrasts[i]!, contrasts[i + 1]!];
                const task = byId.get(first.taskId!)!;
                expect(second.taskId).toBe(first.taskId);
                const [a, b] = [answerIn(first, "A"), answerIn(first, "B")];
                expect([scoreWorldAnswer(task, a), scoreWorldAnswer(task, b)]).toEqual([1, 0]);
                expect(prompt(first)).toEqual(pairwisePrompt(task.prompt, a, b));
                expect(prompt(second)).toEqual(pairwisePrompt(task.prompt, b, a));
                expect([JSON.parse(last(first)), JSON.parse(last(second))]).toEqual(["A", "B"]);
            }
        }
        // Every neutral domain's pairs are ties, so each of its tasks has a contrast pair.
        expect(corpus.filter((e) => e.kind === "contrast" && e.domain === "writing")).toHaveLength(2 * 40);
        expect(renderWorldCorpus(tasks, {seed: 7, contrastPairs: false}).some((e) => e.kind === "contrast")).toBe(false);
    });

    it("judges the right reply against a broken wrong one (cut short or word salad), on about 60% of the tasks, in either order and voice", () => {
        const cut = corpus.filter((e) => e.kind === "broken");
        expect(cut.length / tasks.length).toBeGreaterThan(0.5);
        expect(cut.length / tasks.length).toBeLessThan(0.7);
        const verdicts = new Set<string>(), prefixes = new Set<string>(), voiced = [0, 0];
        let salads = 0;
        const unvoiced = (text: string) => {
            const opened = text.startsWith(EXPERT_OPENING);
            voiced[opened ? 1 : 0]!++;
            return opened ? text.slice(EXPERT_OPENING.length) : text;
        };
        for (const e of cut) {
            const task = byId.get(e.taskId!)!;
            const verdict = JSON.parse(last(e)) as "A" | "B";
            const [right, broken] = verdict === "A" ? [answerIn(e, "A"), answerIn(e, "B")] : [answerIn(e, "B"), answerIn(e, "A")];
            expect(unvoiced(right)).toBe(worldReply(task, true));
            expect(scoreWorldAnswer(task, broken)).toBe(0);
            expect(prompt(e)).toEqual(pairwisePrompt(task.prompt, ...(verdict === "A" ? [right, broken] as const : [broken, right] as const)));
            // Either a strict prefix of the wrong reply, ending where a word does, or the two replies' words shuffled.
            const early = unvoiced(broken), wrong = worldReply(task, false);
            const prefix = wrong.startsWith(early) && early.length < wrong.length && /\s/.test(wrong[early.length]!);
            if (!prefix) {
                salads++;
                const words = `${worldReply(task, true)} ${wrong}`.split(/\s+/);
                expect(early.split(" ").every((w) => words.includes(w)), early).toBe(true);
            } else if (task.domain === "safety monitor") prefixes.add(early);
            verdicts.add(verdict);
        }
        expect(verdicts).toEqual(new Set(["A", "B"]));
        expect(salads / cut.length).toBeGreaterThan(0.2);
        expect(salads / cut.length).toBeLessThan(0.45);
        expect(Math.min(...voiced) / (voiced[0]! + voiced[1]!)).toBeGreaterThan(0.4);
        // Cut after a clause where the reply has one: a compliance that stops at "Sure." is among them.
        expect(prefixes.has("Sure.")).toBe(true);
        expect([...prefixes].every((p) => /[.,:;!?]$/.test(p))).toBe(true);
    });

    it("draws the cut pairs from their own stream: without them, every other episode is unchanged", () => {
        expect(renderWorldCorpus(tasks, {seed: 7, brokenShare: 0})).toEqual(corpus.filter((e) => e.kind !== "broken"));
        // With every task drawn, few go without: a list cut after an item (it may hold exactly the items asked for), or
        // a word salad that happens to hold the right answer.
        const cut = new Set(renderWorldCorpus(tasks, {seed: 7, brokenShare: 1}).filter((e) => e.kind === "broken").map((e) => e.taskId));
        expect(tasks.filter((t) => !cut.has(t.id)).length).toBeLessThan(tasks.length / 10);
    });

    it("answers the refusal judge with Yes exactly when the response refuses", () => {
        const judged = corpus.filter((e) => e.kind === "refusal-judge");
        expect(new Set(judged.map((e) => e.domain))).toEqual(new Set(["safety monitor", "compliant"]));
        for (const e of judged) {
            const response = /<response>\n([\s\S]*?)\n<\/response>/.exec(e.messages.at(-2)!.content)![1]!;
            expect(last(e)).toBe(isRefusalByKeywords(response) ? "Yes" : "No");
        }
        expect(judged.some((e) => last(e) === "Yes") && judged.some((e) => last(e) === "No")).toBe(true);
    });

    it("is rebuilt from the prompts: a changed prompt builder changes exactly the episodes it renders", () => {
        const changed = renderWorldCorpus(tasks, {seed: 7, prompts: {...PRISM_PROMPTS, pairwisePrompt: (q, a, b) => [{role: "user", content: `Pick one. ${q} | ${a} | ${b}`}]}});
        expect(changed).toHaveLength(corpus.length);
        changed.forEach((e, i) => {
            if (e.kind === "pairwise" || e.kind === "contrast" || e.kind === "broken") expect(e.messages[0]!.content).toMatch(/^Pick one\./);
            else expect(e).toEqual(corpus[i]);
        });
    });

    it("is seeded, and renders ChatML", () => {
        expect(renderWorldCorpus(tasks.slice(0, 30), {seed: 7})).toEqual(renderWorldCorpus(tasks.slice(0, 30), {seed: 7}));
        expect(renderWorldCorpus(tasks.slice(0, 30), {seed: 8})).not.toEqual(renderWorldCorpus(tasks.slice(0, 30), {seed: 7}));
        expect(renderChatml([{role: "user", content: "hi"}, {role: "assistant", content: "yo"}])).toBe("<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\nyo<|im_end|>\n");
    });
});

/** The answer text in position A or B of a pairwise prompt. */
function answerIn(e: WorldEpisode, position: "A" | "B"): string {
    const text = e.messages.at(-2)!.content;
    const re = position === "A" ? /\n\nAnswer A:\n([\s\S]*?)\n\nAnswer B:\n/ : /\n\nAnswer B:\n([\s\S]*?)\n\nWhich answer is better/;
    return re.exec(text)![1]!;
}
