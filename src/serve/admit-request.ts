import type {RequestQueue} from "./request-queue.js";
import type {ServeRequest} from "./serve-request.js";
import type {ServerMetrics} from "./server-metrics.js";

/** Waits for a slot in the queue, recording the wait; resolves with the slot's release function. */
export async function admitRequest(queue: RequestQueue, metrics: ServerMetrics, request: ServeRequest): Promise<() => void> {
    const started = performance.now();
    const release = await queue.acquire(request.signal);
    const waitedMs = performance.now() - started;
    request.record.queueWaitMs = waitedMs;
    metrics.observeQueueWait(waitedMs / 1000);
    return release;
}
