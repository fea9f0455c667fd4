import {InvalidInputError} from "../util/prism-error.js";

/** A gate used with a model, or a feature source, other than the one it was trained for. */
export class GateMismatchError extends InvalidInputError {
    readonly field: "modelFingerprint" | "features";
    readonly expected: string;
    readonly found: string;
    constructor(source: string, field: "modelFingerprint" | "features", expected: string, found: string) {
        const what = field === "modelFingerprint" ? "model" : "feature definition";
        super("E_GATE_MISMATCH", `${source}: the gate was made for ${what} ${expected}, but is used with ${found}`, {
            hint: field === "modelFingerprint"
                ? "a gate only works with the exact model it was trained on: re-run bootstrap for this model, or pass the model the gate was made for"
                : "extract the features the gate was trained on (same layer, position and width), or re-run bootstrap",
            details: {field, expected, found}
        });
        this.field = field;
        this.expected = expected;
        this.found = found;
    }
}
