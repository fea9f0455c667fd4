/**
 * Base class of every error prism throws on purpose. The `code` is stable (scripts may match on it), the
 * message says what was wrong, and `hint` says what to do. `exitCode` is what the CLI exits with.
 *
 * A symbol marker rather than `instanceof` so that two installed copies of prism still recognise each other's errors.
 */
const marker = Symbol.for("prism.error");

export type PrismErrorKind = "usage" | "input" | "resource" | "interrupted" | "internal";

const exitCodes: Record<PrismErrorKind, number> = {usage: 2, input: 3, resource: 4, interrupted: 130, internal: 1};

export type PrismErrorOptions = {
    hint?: string,
    cause?: unknown,
    /** Structured fields that explain the error (a file, a field name, a line number). */
    details?: Record<string, unknown>
};

export class PrismError extends Error {
    readonly [marker] = true;
    readonly code: string;
    readonly kind: PrismErrorKind;
    readonly hint?: string;
    readonly details: Record<string, unknown>;

    constructor(code: string, kind: PrismErrorKind, message: string, options: PrismErrorOptions = {}) {
        super(message, options.cause === undefined ? undefined : {cause: options.cause});
        this.name = new.target.name;
        this.code = code;
        this.kind = kind;
        this.hint = options.hint;
        this.details = options.details ?? {};
    }

    get exitCode(): number {
        return exitCodes[this.kind];
    }

    static isInstance(value: unknown): value is PrismError {
        return typeof value === "object" && value !== null && (value as {[marker]?: unknown})[marker] === true;
    }

    /** The message with its hint, as printed to a person. */
    toDisplayString(): string {
        return this.hint ? `${this.message}\n  hint: ${this.hint}` : this.message;
    }
}

/** A bad flag, option or config value. */
export class UsageError extends PrismError {
    constructor(message: string, options: PrismErrorOptions = {}) {
        super("E_USAGE", "usage", message, options);
    }
}

/** A file the user gave us is missing, truncated or malformed. */
export class InvalidInputError extends PrismError {
    constructor(code: string, message: string, options: PrismErrorOptions = {}) {
        super(code, "input", message, options);
    }
}

/** Out of memory, backend unavailable, port in use. */
export class ResourceError extends PrismError {
    constructor(code: string, message: string, options: PrismErrorOptions = {}) {
        super(code, "resource", message, options);
    }
}

/** Work stopped on request after saving what was finished. */
export class InterruptedError extends PrismError {
    constructor(message = "interrupted", options: PrismErrorOptions = {}) {
        super("E_INTERRUPTED", "interrupted", message, options);
    }
}

/** A file that is not there, with the path in the message. */
export class MissingFileError extends InvalidInputError {
    readonly path: string;
    constructor(path: string, what = "file", options: PrismErrorOptions = {}) {
        super("E_MISSING_FILE", `${what} not found: ${path}`, {hint: "check the path", ...options, details: {path, ...options.details}});
        this.path = path;
    }
}

/** A data file with a bad record: names the file and the 1-based line. */
export class DataFormatError extends InvalidInputError {
    readonly path: string;
    readonly line?: number;
    constructor(path: string, line: number | undefined, reason: string, options: PrismErrorOptions = {}) {
        super("E_DATA_FORMAT", `${path}${line === undefined ? "" : `:${line}`}: ${reason}`, {...options, details: {path, line, ...options.details}});
        this.path = path;
        this.line = line;
    }
}
