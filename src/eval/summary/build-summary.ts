import {type Condition, conditionId} from "../condition.js";
import {describeCondition, EVAL_NOTES} from "../condition-description.js";
import {EvalSummary, SUMMARY_FORMAT, SUMMARY_VERSION} from "./eval-summary.js";
import type {ConditionRecords} from "./item-scores.js";
import type {SafetySlots} from "./overall-score.js";
import {summarizeRecords, type SummarizeOptions} from "./summarize.js";

export type BuildSummaryOptions = {
    kind: "eval" | "study",
    model: string,
    judge: string,
    personas: string,
    conditions: readonly Condition[],
    benchmarks: readonly string[],
    settings: Record<string, unknown>,
    /** Condition id → its records. */
    records: ReadonlyMap<string, ConditionRecords>,
    /** Extra definitions for the reader, after the standard ones. */
    notes?: readonly string[],
    bootstrapIterations?: number,
    /** The protocol as plain data (describeProtocol). */
    protocol: Record<string, unknown>,
    data: {path: string, sha256: string}[],
    safetySlots?: SafetySlots,
    mtBenchAggregate?: "per-judgment" | "per-question",
    /** With the world benchmark: its held-out draw and which personas its persona conditions placed. */
    world?: SummarizeOptions["world"]
};

/** The summary of a run: its description plus every statistic, validated against the schema the report reads. */
export function buildSummary(o: BuildSummaryOptions): EvalSummary {
    const baseline = o.conditions.some((c) => c.kind === "base") ? "base" : conditionId(o.conditions[0]!);
    return EvalSummary.parse({
        format: SUMMARY_FORMAT, version: SUMMARY_VERSION, kind: o.kind, createdAt: new Date().toISOString(),
        model: o.model, judge: o.judge, personas: o.personas, baseline,
        conditions: o.conditions.map((c) => ({id: conditionId(c), description: describeCondition(c)})),
        benchmarks: [...o.benchmarks], settings: o.settings, protocol: o.protocol, data: o.data, notes: [...EVAL_NOTES, ...(o.notes ?? [])],
        ...summarizeRecords({records: o.records, baseline, bootstrapIterations: o.bootstrapIterations, safetySlots: o.safetySlots, mtBenchAggregate: o.mtBenchAggregate, world: o.world})
    });
}
