import crypto from "node:crypto";
import type {StageName} from "../run/run-manifest.js";
import {DEFAULT_THINKING_MAX_TOKENS, type BootstrapConfig} from "./bootstrap-config.js";

/** What a stage's output depends on besides the config: the content of a hand-written personas file. */
export type StageInputs = {
    personasFileHash?: string,
    /**
     * What generates the text when it is not the embedded llama.cpp engine on the run's model: a server's engine and
     * model name. It is part of the generating stages' settings, so a run never mixes text from two engines: resuming
     * with another engine re-runs those stages (and says so) rather than appending to what the first one wrote.
     */
    generator?: {engine: string, model: string}
};

/**
 * The settings one stage's output depends on (besides the stages before it). Engine settings (threads, parallel
 * sequences, context size) are left out: they change speed, not what is asked of the model.
 */
export function stageSettings(stage: StageName, c: BootstrapConfig, inputs: StageInputs = {}): Record<string, unknown> {
    // The thinking budget changes only a reasoning model's output; at its default it is left out, so runs made before it existed keep their hashes.
    const thinking = c.thinkingMaxTokens === DEFAULT_THINKING_MAX_TOKENS ? {} : {thinkingMaxTokens: c.thinkingMaxTokens};
    // Absent for the local engine, so local runs made before servers could generate keep their hashes.
    const generator = inputs.generator ? {generator: inputs.generator} : {};
    switch (stage) {
        case "personas":
            return {domains: c.domains, personasFile: inputs.personasFileHash ?? null, personaTemperature: c.personaTemperature, seed: c.seed, ...thinking, ...generator};
        case "queries":
            return {
                personaLength: c.personaLength, queriesPerDomain: c.queriesPerDomain, queryAttemptsPerQuery: c.queryAttemptsPerQuery,
                queryTemperature: c.queryTemperature, queryMaxTokens: c.queryMaxTokens, nearDuplicateSimilarity: c.nearDuplicateSimilarity,
                heldOutShare: c.heldOutShare, ...thinking, ...generator
            };
        case "answers":
            return {personaLength: c.personaLength, placement: c.placement, answerMaxTokens: c.answerMaxTokens, answerTemperature: c.answerTemperature, ...thinking, ...generator};
        case "judge":
            return {judge: c.judge, judgeTemperature: c.judgeTemperature, truncateChars: c.truncateChars, ...thinking, ...generator};
        case "distill":
            return {training: c.training};
        case "gate":
            return {gate: c.gate};
        case "datasets":
        case "summary":
            return {};
    }
}

/** A stage's hash chains the hash of the stage before it (the model's fingerprint for the first), so a change upstream reaches every later stage. */
export function stageHash(stage: StageName, settings: Record<string, unknown>, previousHash: string): string {
    return "sha256:" + crypto.createHash("sha256").update(JSON.stringify([stage, canonical(settings), previousHash])).digest("hex").slice(0, 32);
}

/** "field: old → new" for each setting that differs. */
export function describeSettingChanges(before: Record<string, unknown>, after: Record<string, unknown>): string[] {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
    return keys.filter((k) => JSON.stringify(canonical(before[k])) !== JSON.stringify(canonical(after[k])))
        .map((k) => `${k}: ${JSON.stringify(before[k]) ?? "unset"} → ${JSON.stringify(after[k]) ?? "unset"}`);
}

/** The value with object keys sorted, so key order never changes a hash. */
function canonical(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(canonical);
    if (value && typeof value === "object") return Object.fromEntries(Object.keys(value).sort().map((k) => [k, canonical((value as Record<string, unknown>)[k])]));
    return value;
}
