import fs from "node:fs";
import type {z} from "zod";
import {iterateJsonl, JsonlAppender} from "../../util/jsonl.js";

/**
 * The JSONL log of one benchmark under one condition: one record per finished item, appended as soon as it is
 * done. Reopening it (after a crash, kill -9 or Ctrl-C) reads the finished ids, cuts a torn last line, and the runner
 * skips those items, so nothing finished is lost or repeated.
 */
export class ResultLog<T extends {id: string}> implements Disposable {
    private readonly done = new Map<string, T>();
    private appender: JsonlAppender | undefined;

    private constructor(readonly filePath: string) {}

    static async open<T extends {id: string}>(filePath: string, schema: z.ZodType<T>): Promise<ResultLog<T>> {
        const log = new ResultLog<T>(filePath);
        if (fs.existsSync(filePath))
            for await (const {value} of iterateJsonl(filePath, schema, {allowTruncatedLastLine: true})) log.done.set(value.id, value);
        log.appender = JsonlAppender.open(filePath);
        return log;
    }

    /** Reads a finished log without opening it for writing. */
    static async read<T extends {id: string}>(filePath: string, schema: z.ZodType<T>): Promise<T[]> {
        const records = new Map<string, T>();
        if (fs.existsSync(filePath))
            for await (const {value} of iterateJsonl(filePath, schema, {allowTruncatedLastLine: true})) records.set(value.id, value);
        return [...records.values()];
    }

    has(id: string): boolean {
        return this.done.has(id);
    }

    get size(): number {
        return this.done.size;
    }

    append(record: T): void {
        if (!this.appender) throw new Error(`result log ${this.filePath} is closed`);
        this.appender.append(record);
        this.done.set(record.id, record);
    }

    records(): T[] {
        return [...this.done.values()];
    }

    /** Flushes to disk (after each batch, so a power cut loses at most the batch in flight). */
    sync(): void {
        this.appender?.sync();
    }

    close(): void {
        this.appender?.close();
        this.appender = undefined;
    }

    [Symbol.dispose](): void {
        this.close();
    }
}
