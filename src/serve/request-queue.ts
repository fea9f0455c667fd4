import {InterruptedError, ResourceError} from "../util/prism-error.js";

export type RequestQueueOptions = {
    /** Requests served at once. Required, at least 1. */
    maxConcurrent: number,
    /** Requests that may wait for a slot; one more is refused with `QueueFullError`. `0` refuses whenever all slots are busy. Defaults to `128`. */
    maxQueue?: number,
    /** The longest a request waits for a slot before `QueueTimeoutError`. Defaults to `60000`. */
    timeoutMs?: number,
    /** Called whenever the number of active or waiting requests changes. */
    onChange?(state: {active: number, waiting: number}): void
};

/** Every slot is busy and the queue is full. */
export class QueueFullError extends ResourceError {
    constructor(maxConcurrent: number, maxQueue: number) {
        super("E_QUEUE_FULL", `The server is busy: ${maxConcurrent} requests are running and ${maxQueue} are waiting`, {
            hint: "retry after a moment, or raise --max-queue / --max-concurrent", details: {maxConcurrent, maxQueue}
        });
    }
}

/** A request waited longer than the queue's timeout. */
export class QueueTimeoutError extends ResourceError {
    constructor(timeoutMs: number) {
        super("E_QUEUE_TIMEOUT", `The server is busy: the request waited ${timeoutMs} ms for a free slot`, {
            hint: "retry after a moment, or raise --queue-timeout-ms / --max-concurrent", details: {timeoutMs}
        });
    }
}

type Waiter = {grant(): void, fail(err: unknown): void};

/**
 * A FIFO admission queue: at most `maxConcurrent` requests hold a slot; later ones wait in arrival order, bounded in
 * number and in time. A waiter whose signal aborts (its client went away) leaves the queue without ever running.
 */
export class RequestQueue {
    readonly maxConcurrent: number;
    readonly maxQueue: number;
    readonly timeoutMs: number;
    private readonly waiters: Waiter[] = [];
    private running = 0;
    private highWater = 0;

    constructor(private readonly options: RequestQueueOptions) {
        if (!Number.isInteger(options.maxConcurrent) || options.maxConcurrent < 1) throw new RangeError(`RequestQueue: maxConcurrent must be a positive integer, got ${options.maxConcurrent}`);
        this.maxConcurrent = options.maxConcurrent;
        this.maxQueue = options.maxQueue ?? 128;
        this.timeoutMs = options.timeoutMs ?? 60_000;
    }

    get active(): number {
        return this.running;
    }

    get waiting(): number {
        return this.waiters.length;
    }

    /** The most requests that have waited at once. */
    get maxWaiting(): number {
        return this.highWater;
    }

    /** Resolves with a release function once the request holds a slot. Release exactly when the work is done (calling it twice is harmless). */
    acquire(signal?: AbortSignal): Promise<() => void> {
        if (signal?.aborted) return Promise.reject(new InterruptedError("the client closed the request"));
        if (this.running < this.maxConcurrent && this.waiters.length === 0) {
            this.running++;
            this.changed();
            return Promise.resolve(this.releaser());
        }
        if (this.waiters.length >= this.maxQueue) return Promise.reject(new QueueFullError(this.maxConcurrent, this.maxQueue));
        return new Promise((resolve, reject) => {
            const leave = () => {
                clearTimeout(timer);
                signal?.removeEventListener("abort", onAbort);
                const i = this.waiters.indexOf(waiter);
                if (i >= 0) this.waiters.splice(i, 1);
            };
            const waiter: Waiter = {
                grant: () => {
                    leave();
                    resolve(this.releaser());
                },
                fail: (err) => {
                    leave();
                    this.changed();
                    reject(err);
                }
            };
            const onAbort = () => waiter.fail(new InterruptedError("the client closed the request while it waited"));
            const timer = setTimeout(() => waiter.fail(new QueueTimeoutError(this.timeoutMs)), this.timeoutMs);
            signal?.addEventListener("abort", onAbort, {once: true});
            this.waiters.push(waiter);
            this.highWater = Math.max(this.highWater, this.waiters.length);
            this.changed();
        });
    }

    private releaser(): () => void {
        let released = false;
        return () => {
            if (released) return;
            released = true;
            // The slot passes straight to the next waiter, so `running` stays the same.
            const next = this.waiters[0];
            if (next) next.grant();
            else this.running--;
            this.changed();
        };
    }

    private changed(): void {
        this.options.onChange?.({active: this.running, waiting: this.waiters.length});
    }
}
