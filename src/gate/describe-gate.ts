import fs from "node:fs";
import type {BinaryMetrics} from "./binary-metrics.js";
import type {GateCandidateReport, GateKind} from "./gate.js";
import type {GateFeatureDefinition} from "./gate-features.js";
import {loadGate} from "./gate-file.js";

export type GateDescription = {
    path: string,
    fileSizeBytes: number,
    kind: GateKind,
    /** Layer widths from the features to the logit, e.g. [896, 128, 64, 1]. */
    widths: number[],
    parameters: number,
    features: GateFeatureDefinition,
    modelFingerprint: string,
    threshold: number,
    thresholdMethod: "fixed" | "balanced-accuracy" | null,
    createdAt: string,
    training: null | {
        seed: number, examples: number, positives: number, heldOutExamples: number, selection: "auto" | GateKind,
        candidates: Partial<Record<GateKind, GateCandidateReport>>,
        heldOut: BinaryMetrics,
        perDomain: Record<string, BinaryMetrics> | null
    }
};

/** Everything `prism gate-info` shows about a gate file (not the weights). */
export async function describeGate(filePath: string): Promise<GateDescription> {
    const gate = await loadGate(filePath);
    const t = gate.training;
    return {
        path: filePath,
        fileSizeBytes: fs.statSync(filePath).size,
        kind: gate.kind,
        widths: [gate.net.inputWidth, ...gate.net.hiddenWidths, 1],
        parameters: gate.net.parameterCount,
        features: gate.features,
        modelFingerprint: gate.modelFingerprint,
        threshold: gate.threshold,
        thresholdMethod: t?.thresholdMethod ?? null,
        createdAt: gate.createdAt,
        training: t ? {
            seed: t.seed, examples: t.examples, positives: t.positives, heldOutExamples: t.heldOutExamples, selection: t.selection,
            candidates: t.candidates, heldOut: t.heldOut, perDomain: t.perDomain ?? null
        } : null
    };
}
