/**
 * Finds stop strings in streamed text. Text that might be the start of a stop string is held back until the next
 * delta decides it, so a stream never shows a piece of a stop string.
 */
export class StopStringMatcher {
    private pending = "";
    private readonly stops: readonly string[];

    constructor(stops: readonly string[]) {
        this.stops = stops.filter((s) => s.length > 0);
    }

    /** Adds text; returns what is safe to emit and whether a stop string was reached (the text before it is emitted). */
    push(delta: string): {text: string, stopped: boolean} {
        this.pending += delta;
        let cut = -1;
        for (const s of this.stops) {
            const i = this.pending.indexOf(s);
            if (i >= 0 && (cut < 0 || i < cut)) cut = i;
        }
        if (cut >= 0) {
            const text = this.pending.slice(0, cut);
            this.pending = "";
            return {text, stopped: true};
        }
        const hold = this.heldBackLength();
        const text = this.pending.slice(0, this.pending.length - hold);
        this.pending = this.pending.slice(this.pending.length - hold);
        return {text, stopped: false};
    }

    /** The held-back text, at the end of generation. */
    flush(): string {
        const text = this.pending;
        this.pending = "";
        return text;
    }

    /** Length of the longest suffix of the pending text that is a proper prefix of a stop string. */
    private heldBackLength(): number {
        let best = 0;
        for (const s of this.stops)
            for (let k = Math.min(s.length - 1, this.pending.length); k > best; k--)
                if (this.pending.endsWith(s.slice(0, k))) {
                    best = k;
                    break;
                }
        return best;
    }
}
