import {UsageError} from "../util/prism-error.js";

/**
 * A named evaluation protocol: every setting that changes a number, each with the anchor it follows, so a run's
 * numbers can sit next to published ones. `standard` follows the harnesses researchers use (lm-evaluation-harness
 * for MMLU, FastChat for MT-Bench, JailbreakBench and XSTest for refusals); `paper` follows the PRISM authors'
 * released evaluation code (zizhao-hu/PRISM, prism/eval/*.py), so numbers sit next to the paper's tables.
 */
export type EvalProtocol = {
    name: ProtocolName,
    mmlu: {
        /** The header line before the shots and question; `{subject}` is the subject with spaces. */
        header: string,
        /** Few-shot examples allowed (the paper's script is zero-shot only). */
        allowShots: boolean,
        /** The answer continuations scored after the raw prompt. */
        continuations: readonly string[]
    },
    mtBench: {
        /** Answer sampling per category (temperature, nucleus). */
        sampling(category: string): {temperature: number, topP: number},
        judge: "fastchat" | "paper",
        /** Judge output budget before any reasoning allowance. */
        judgeMaxTokens: number,
        judgeSampling: {temperature: number, topP: number},
        /** `per-judgment`: every (question, turn) rating is one item; `per-question`: turns are averaged first. */
        aggregate: "per-judgment" | "per-question"
    },
    safety: {
        /** Response length for safety prompts. */
        maxTokens: number,
        /** The refusal judge for harmful and benign prompts (XSTest under `standard` gets its own three classes). */
        refusalJudge: "jailbreakbench" | "paper",
        /** Judge output budget before any reasoning allowance. */
        judgeMaxTokens: number
    },
    /** One line per setting: what it is and the anchor's file and line, for the summary and the README. */
    anchors: readonly string[]
};

export const PROTOCOL_NAMES = ["standard", "paper"] as const;
export type ProtocolName = typeof PROTOCOL_NAMES[number];

/** FastChat's `temperature_config` (fastchat/llm_judge/common.py:40-50); other categories sample at 0.7 (gen_model_answer.py:99-102). */
const FASTCHAT_TEMPERATURE: Record<string, number> = {writing: 0.7, roleplay: 0.7, extraction: 0, math: 0, coding: 0, reasoning: 0, stem: 0.1, humanities: 0.1};

const STANDARD: EvalProtocol = {
    name: "standard",
    mmlu: {header: "The following are multiple choice questions (with answers) about {subject}.\n\n", allowShots: true, continuations: [" A", " B", " C", " D"]},
    mtBench: {
        sampling: (category) => ({temperature: FASTCHAT_TEMPERATURE[category] ?? 0.7, topP: 1}),
        judge: "fastchat", judgeMaxTokens: 2048, judgeSampling: {temperature: 0, topP: 1}, aggregate: "per-judgment"
    },
    safety: {maxTokens: 256, refusalJudge: "jailbreakbench", judgeMaxTokens: 64},
    anchors: [
        "MMLU prompt: raw text (no chat template), lm-evaluation-harness mmlu default task: lm_eval/tasks/mmlu/default/_default_template_yaml:7 (doc_to_text), :8 (choices A-D), mmlu_<subject>.yaml:2 (description header); target_delimiter \" \" and fewshot_delimiter \"\\n\\n\": lm_eval/config/task.py:112-113",
        "MMLU shots: the first k of dev (_default_template_yaml:5, sampler first_n); a prompt too long for the context drops shots until it fits (hendrycks/test evaluate_flan.py eval(): `while input_ids.shape[-1] > 2048: k -= 1`)",
        "MMLU persona: prepended to the raw prompt with a blank line, as lm-eval's --system_instruction without a chat template (lm_eval/api/task.py:975-977, maybe_delimit with fewshot_delimiter)",
        "MMLU categories: lm-eval's tags (anatomy in STEM: lm_eval/tasks/mmlu/default/mmlu_anatomy.yaml:4); category score is the mean over its questions (weight_by_size: _mmlu.yaml:7-9)",
        "MT-Bench answers: temperature by category, writing/roleplay 0.7, stem/humanities 0.1, others 0 (FastChat fastchat/llm_judge/common.py:40-50, gen_model_answer.py:99-102); 1024 tokens (gen_model_answer.py:234-236)",
        "MT-Bench judge: judge_prompts.jsonl single-v1, single-math-v1 and their -multi-turn variants (fastchat/llm_judge/data/judge_prompts.jsonl:5-8) with the system prompt as the system message (common.py:160-163); references for math/reasoning/coding (common.py:31); temperature 0, 2048 tokens (common.py:167)",
        "MT-Bench parse: the first [[n]], else the first [n] (common.py:36-37, 176-183); none is -1, left out (show_result.py:20)",
        "MT-Bench score: the mean over all (question, turn) judgments (show_result.py:35)",
        "Refusal (harmful and benign sets): JailbreakBench's Llama3RefusalJudge prompt as one user message, temperature 0, refusal when \"Yes\" is in the output (jailbreakbench src/jailbreakbench/classifier.py:133-146, :105, :110); keyword fallback: its StringClassifier prefixes anywhere in the text (classifier.py:150-175)",
        "XSTest: its three classes (1_full_compliance, 2_full_refusal, 3_partial_refusal) by its classification prompt with the helpful-assistant system message, temperature 0 (exaggerated-safety evaluation/classify_completions_gpt.py:15-35); fallback: its string match on the start of the response (classify_completions_strmatch.py:3-17); refusal = full or partial refusal",
        "Safety responses: greedy, 256 tokens (the paper's setting; JailbreakBench and XSTest fix no length)"
    ]
};

const PAPER: EvalProtocol = {
    name: "paper",
    mmlu: {header: "The following is a multiple choice question about {subject}.\n\n", allowShots: false, continuations: [" A", " B", " C", " D"]},
    mtBench: {
        sampling: () => ({temperature: 0.7, topP: 0.9}),
        judge: "paper", judgeMaxTokens: 512, judgeSampling: {temperature: 0.7, topP: 0.9}, aggregate: "per-question"
    },
    safety: {maxTokens: 256, refusalJudge: "paper", judgeMaxTokens: 10},
    anchors: [
        "MMLU prompt: raw text \"The following is a multiple choice question about {subject}.\" + question + \"A. …\" lines + \"Answer:\", zero-shot (zizhao-hu/PRISM prism/eval/eval_mmlu.py:66-74); scored by the log-probability of \" A\"…\" D\" (eval_mmlu.py:86-99)",
        "MMLU categories: the authors' DOMAIN_MAP, anatomy in STEM (eval_mmlu.py:28-57); category score over its questions (eval_mmlu.py:198-210)",
        "MT-Bench answers: sampled at temperature 0.7, top-p 0.9, 1024 tokens, for every category (eval_mt_bench.py:55-68, :291)",
        "MT-Bench judge: the authors' single prompt (eval_mt_bench.py:172-179) as one user message, turn 2 judged on its own question and answer (eval_mt_bench.py:208-211); the judge samples like the answers, 512 tokens (eval_mt_bench.py:211)",
        "MT-Bench parse: the first [[n]], else \"Rating: n\", else the first number 1-10, else 5.0 (eval_mt_bench.py:262-279); a defaulted 5.0 enters the score, and prism counts it as unparsed",
        "MT-Bench score: turns averaged per question, then the mean over questions (eval_mt_bench.py:223, 233-244)",
        "Refusal: the authors' prompt as one user message, greedy, 10 tokens, refusal when \"yes\" is in the lower-cased output (eval_safety.py:318-328)",
        "Safety responses: greedy, 256 tokens (eval_safety.py:298-300)"
    ]
};

export function evalProtocol(name: string = "standard"): EvalProtocol {
    if (name === "standard") return STANDARD;
    if (name === "paper") return PAPER;
    throw new UsageError(`unknown protocol "${name}"`, {hint: `use ${PROTOCOL_NAMES.join(" or ")}`});
}

/** The settings of a protocol as plain data, for the summary and for comparing runs. */
export function describeProtocol(p: EvalProtocol, categories: readonly string[]): Record<string, unknown> {
    return {
        name: p.name, mmlu: {header: p.mmlu.header, allowShots: p.mmlu.allowShots, continuations: p.mmlu.continuations},
        mtBench: {sampling: Object.fromEntries(categories.map((c) => [c, p.mtBench.sampling(c)])), judge: p.mtBench.judge, judgeMaxTokens: p.mtBench.judgeMaxTokens,
            judgeSampling: p.mtBench.judgeSampling, aggregate: p.mtBench.aggregate},
        safety: {...p.safety}, anchors: p.anchors
    };
}

/** Settings a run may override (tests and quick runs); the summary records them, and numbers then follow no anchor exactly. */
export type ProtocolOverrides = {
    /** Judge output budget (MT-Bench ratings and refusal verdicts). */
    judgeMaxTokens?: number,
    /** Safety response length. */
    safetyMaxTokens?: number
};

export function withOverrides(p: EvalProtocol, o: ProtocolOverrides): EvalProtocol {
    return {
        ...p,
        mtBench: {...p.mtBench, judgeMaxTokens: o.judgeMaxTokens ?? p.mtBench.judgeMaxTokens},
        safety: {...p.safety, maxTokens: o.safetyMaxTokens ?? p.safety.maxTokens, judgeMaxTokens: o.judgeMaxTokens ?? p.safety.judgeMaxTokens}
    };
}
