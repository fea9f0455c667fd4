/**
 * The requests a server is answering, each with the controller that cancels its work: what graceful shutdown waits
 * for, and what it cancels once it stops waiting.
 */
export class InFlightRequests {
    private readonly controllers = new Set<AbortController>();
    private idleWaiters: (() => void)[] = [];

    get size(): number {
        return this.controllers.size;
    }

    /** Tracks a request until the returned function is called (calling it twice is harmless). */
    add(controller: AbortController): () => void {
        this.controllers.add(controller);
        return () => {
            if (!this.controllers.delete(controller) || this.controllers.size > 0) return;
            for (const wake of this.idleWaiters.splice(0)) wake();
        };
    }

    /** Resolves `true` once no request is in flight, or `false` when `timeoutMs` passes first. */
    waitIdle(timeoutMs: number): Promise<boolean> {
        if (this.controllers.size === 0) return Promise.resolve(true);
        return new Promise((resolve) => {
            const wake = () => {
                clearTimeout(timer);
                resolve(true);
            };
            const timer = setTimeout(() => {
                this.idleWaiters = this.idleWaiters.filter((w) => w !== wake);
                resolve(false);
            }, timeoutMs);
            this.idleWaiters.push(wake);
        });
    }

    /** Cancels every request in flight; returns how many there were. */
    abortAll(reason: unknown): number {
        const n = this.controllers.size;
        for (const c of this.controllers) c.abort(reason);
        return n;
    }
}
