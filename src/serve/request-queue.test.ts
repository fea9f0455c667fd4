import {describe, expect, it} from "vitest";
import {PrismError} from "../util/prism-error.js";
import {QueueFullError, QueueTimeoutError, RequestQueue} from "./request-queue.js";

const tick = () => new Promise((r) => setImmediate(r));

describe("RequestQueue", () => {
    it("admits maxConcurrent at once and the rest in arrival order", async () => {
        const states: {active: number, waiting: number}[] = [];
        const queue = new RequestQueue({maxConcurrent: 2, onChange: (s) => states.push(s)});
        const order: number[] = [];
        const releases = new Map<number, () => void>();
        const all = [0, 1, 2, 3, 4].map((i) => queue.acquire().then((release) => {
            order.push(i);
            releases.set(i, release);
        }));
        await tick();
        expect(order).toEqual([0, 1]);
        expect([queue.active, queue.waiting, queue.maxWaiting]).toEqual([2, 3, 3]);
        releases.get(1)!();
        releases.get(1)!(); // twice is harmless: it must not free a second slot
        await tick();
        expect(order).toEqual([0, 1, 2]);
        expect([queue.active, queue.waiting]).toEqual([2, 2]);
        releases.get(0)!();
        releases.get(2)!();
        await tick();
        releases.get(3)!();
        await Promise.all(all);
        releases.get(4)!();
        expect(order).toEqual([0, 1, 2, 3, 4]);
        expect([queue.active, queue.waiting, queue.maxWaiting]).toEqual([0, 0, 3]);
        expect(states.at(-1)).toEqual({active: 0, waiting: 0});
        expect(Math.max(...states.map((s) => s.waiting))).toBe(3);
    });

    it("refuses beyond maxQueue, and times out a long wait", async () => {
        const queue = new RequestQueue({maxConcurrent: 1, maxQueue: 1, timeoutMs: 50});
        const release = await queue.acquire();
        const waiting = queue.acquire();
        await expect(queue.acquire()).rejects.toBeInstanceOf(QueueFullError);
        const err = await waiting.catch((e: unknown) => e);
        expect(err).toBeInstanceOf(QueueTimeoutError);
        expect(PrismError.isInstance(err) && err.code).toBe("E_QUEUE_TIMEOUT");
        expect(queue.waiting).toBe(0);
        release();
        expect(queue.active).toBe(0);
    });

    it("drops a waiter whose signal aborts, without giving it a slot", async () => {
        const queue = new RequestQueue({maxConcurrent: 1});
        const release = await queue.acquire();
        const controller = new AbortController();
        const gone = queue.acquire(controller.signal);
        const next = queue.acquire();
        controller.abort();
        await expect(gone).rejects.toThrow(/closed the request/);
        expect(queue.waiting).toBe(1);
        release();
        const releaseNext = await next;
        expect(queue.active).toBe(1);
        releaseNext();
        await expect(queue.acquire(AbortSignal.abort())).rejects.toThrow(/closed the request/);
        expect(queue.active).toBe(0);
    });
});
