import type {Condition, PersonaPlacement} from "./condition.js";
import {PERSONA_DOMAINS, PERSONA_LENGTHS, type PersonaDomain, type PersonaLength} from "./personas/persona-domain.js";
import {type EvaluateOptions, runEvaluation} from "./run-evaluation.js";
import type {EvalSummary} from "./summary/eval-summary.js";

export type StudyGrid = {
    /** Persona lengths of the matching-persona grid. Defaults to min, short and long. */
    lengths?: readonly PersonaLength[],
    /** Placements of the matching-persona grid. Defaults to system and user. */
    placements?: readonly PersonaPlacement[],
    /** Personas run against every category (the persona × category matrix). Defaults to all twelve. */
    domains?: readonly PersonaDomain[],
    /** Length and placement of the fixed-domain personas and the random control. Defaults to short, system. */
    fixedLength?: PersonaLength,
    fixedPlacement?: PersonaPlacement,
    /** Adds the random-persona control. Defaults to `true`. */
    randomControl?: boolean
};

export type StudyOptions = Omit<EvaluateOptions, "conditions" | "kind"> & {grid?: StudyGrid};

/**
 * The paper's persona study as a list of conditions: no persona; the matching persona at each length and placement;
 * each persona domain against every category; and a random persona of another domain as the control for "any added
 * context".
 */
export function studyConditions(grid: StudyGrid = {}): Condition[] {
    const length = grid.fixedLength ?? "short", placement = grid.fixedPlacement ?? "system";
    return [
        {kind: "base"},
        ...(grid.lengths ?? PERSONA_LENGTHS).flatMap((l) => (grid.placements ?? ["system", "user"] as const).map((p): Condition => ({kind: "persona", length: l, placement: p, domain: "matching"}))),
        ...(grid.domains ?? PERSONA_DOMAINS).map((d): Condition => ({kind: "persona", length, placement, domain: d})),
        ...(grid.randomControl ?? true ? [{kind: "persona", length, placement, domain: "random"} as Condition] : [])
    ];
}

/** Runs the study grid over the benchmarks; every condition is compared with no persona. */
export function runStudy(options: StudyOptions): Promise<EvalSummary> {
    const grid = options.grid ?? {};
    const length = grid.fixedLength ?? "short", placement = grid.fixedPlacement ?? "system";
    return runEvaluation({
        ...options, kind: "study", conditions: studyConditions(grid),
        notes: [
            ...(options.notes ?? []),
            `Study grid: the matching persona at lengths ${(grid.lengths ?? PERSONA_LENGTHS).join(", ")} in the ${(grid.placements ?? ["system", "user"]).join(" and ")} turn; ` +
            `each persona domain (${length} length, ${placement} turn) against every category; and the random-persona control at the same length and placement.`
        ]
    });
}
