import {InvalidInputError, type PrismErrorOptions} from "../util/prism-error.js";

/** A model or adapter file that is not GGUF, is truncated, or does not fit what it is used with. */
export class InvalidModelFileError extends InvalidInputError {
    readonly path: string;
    readonly reason: string;
    constructor(path: string, reason: string, options: PrismErrorOptions = {}) {
        super("E_INVALID_MODEL_FILE", `${path}: ${reason}`, {
            hint: "re-download or re-convert the file, or check that the path points at the GGUF you meant",
            ...options,
            details: {path, reason, ...options.details}
        });
        this.path = path;
        this.reason = reason;
    }
}
