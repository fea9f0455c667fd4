import fs from "node:fs";
import fsp from "node:fs/promises";
import path from "node:path";
import type {z} from "zod";
import {DataFormatError, MissingFileError} from "./prism-error.js";

/** Reads a JSONL file, validating each line; errors name the file and line. Blank lines are skipped. */
export async function readJsonl<T>(filePath: string, schema?: z.ZodType<T>, options: {allowTruncatedLastLine?: boolean} = {}): Promise<T[]> {
    const out: T[] = [];
    for await (const {value} of iterateJsonl(filePath, schema, options)) out.push(value);
    return out;
}

export async function* iterateJsonl<T>(filePath: string, schema?: z.ZodType<T>, options: {allowTruncatedLastLine?: boolean} = {}): AsyncGenerator<{line: number, value: T}> {
    if (!fs.existsSync(filePath)) throw new MissingFileError(filePath, "JSONL file");
    const text = await fsp.readFile(filePath, "utf8");
    const lines = text.split("\n");
    // A file that does not end in a newline may have been cut by a crash mid-append: its last line is torn.
    const tornIndex = text.endsWith("\n") ? -1 : lines.length - 1;
    for (let i = 0; i < lines.length; i++) {
        const raw = lines[i]!.trim();
        if (raw === "") continue;
        let parsed: unknown;
        try {
            parsed = JSON.parse(raw);
        } catch (err) {
            if (options.allowTruncatedLastLine && i === tornIndex) return;
            throw new DataFormatError(filePath, i + 1, `not valid JSON (${(err as Error).message})`, {hint: "each line must be one JSON object"});
        }
        if (schema) {
            const result = schema.safeParse(parsed);
            if (!result.success) {
                const issue = result.error.issues[0];
                const where = issue && issue.path.length > 0 ? ` at "${issue.path.join(".")}"` : "";
                throw new DataFormatError(filePath, i + 1, `invalid record${where}: ${issue?.message ?? "does not match the schema"}`);
            }
            yield {line: i + 1, value: result.data};
        } else yield {line: i + 1, value: parsed as T};
    }
}

/**
 * An append-only JSONL log that survives kill -9: each record is one write of one line, and on open a torn
 * last line (no trailing newline) is cut off, so a resumed run neither loses finished records nor reads a half one.
 */
export class JsonlAppender {
    private constructor(readonly filePath: string, private fd: number) {}

    static open(filePath: string): JsonlAppender {
        fs.mkdirSync(path.dirname(filePath), {recursive: true});
        if (fs.existsSync(filePath)) repairTornTail(filePath);
        return new JsonlAppender(filePath, fs.openSync(filePath, "a"));
    }

    append(record: unknown): void {
        fs.writeSync(this.fd, JSON.stringify(record) + "\n");
    }

    /** Appends records in one write, so a batch lands whole (a kill mid-write leaves only a torn line, cut on open). */
    appendMany(records: readonly unknown[]): void {
        const bytes = Buffer.from(records.map((r) => JSON.stringify(r) + "\n").join(""));
        for (let offset = 0; offset < bytes.length;) offset += fs.writeSync(this.fd, bytes, offset);
    }

    /** Flushes to disk; call at checkpoints rather than per record. */
    sync(): void {
        fs.fsyncSync(this.fd);
    }

    close(): void {
        if (this.fd < 0) return;
        fs.fsyncSync(this.fd);
        fs.closeSync(this.fd);
        this.fd = -1;
    }

    [Symbol.dispose](): void {
        this.close();
    }
}

function repairTornTail(filePath: string): void {
    const buf = fs.readFileSync(filePath);
    if (buf.length === 0 || buf[buf.length - 1] === 0x0a) return;
    const lastNewline = buf.lastIndexOf(0x0a);
    fs.truncateSync(filePath, lastNewline + 1);
}
