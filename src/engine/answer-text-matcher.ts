import {StopStringMatcher} from "./stop-string-matcher.js";

/**
 * Streamed answer text through two sets of strings: stop strings end the answer, call starts (a template's tool-call
 * prefix, e.g. ChatML's `||call: `) hand it over to a tool call. Text that might begin either is held back until the
 * next delta decides it, so neither a stop string nor a call's prefix ever shows in the text. What comes first in the
 * text wins.
 */
export class AnswerTextMatcher {
    private readonly stops: StopStringMatcher;
    private readonly callStarts: StopStringMatcher;

    constructor(stops: readonly string[], callStarts: readonly string[]) {
        this.stops = new StopStringMatcher(stops);
        this.callStarts = new StopStringMatcher(callStarts);
    }

    /** Adds text; returns what is safe to emit, and whether a stop string or a call start was reached. `final` flushes. */
    push(delta: string, final = false): {text: string, stopped: boolean, call: boolean} {
        const a = this.stops.push(delta);
        const b = this.callStarts.push(a.text + (final && !a.stopped ? this.stops.flush() : ""));
        const text = b.text + (!b.stopped && (a.stopped || final) ? this.callStarts.flush() : "");
        return {text, stopped: a.stopped && !b.stopped, call: b.stopped};
    }
}
