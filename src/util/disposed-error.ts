import {PrismError} from "./prism-error.js";

/** A method was called on an object after its `dispose()`: a bug in the caller. */
export class DisposedError extends PrismError {
    constructor(what: string) {
        super("E_DISPOSED", "internal", `${what} was used after it was disposed`, {
            hint: "keep the object (and the parent that created it) alive until you are done with it"
        });
    }
}
