import {PrismError} from "./prism-error.js";

/** A method was called on an object whose native resources were already released. */
export class DisposedError extends PrismError {
    constructor(what: string) {
        super("E_DISPOSED", "internal", `${what} was used after dispose()`, {hint: "keep the object alive until every call on it has finished"});
    }
}
