import fs from "node:fs";
import fsp from "node:fs/promises";
import path from "node:path";
import crypto from "node:crypto";

/** Writes a file so that readers see either the old content or the new, never a half-written one. */
export async function writeFileAtomic(filePath: string, data: string | Uint8Array | readonly Uint8Array[]): Promise<void> {
    await fsp.mkdir(path.dirname(filePath), {recursive: true});
    const tmp = tempPathFor(filePath);
    const handle = await fsp.open(tmp, "w");
    try {
        if (typeof data === "string" || data instanceof Uint8Array) await handle.writeFile(data);
        else for (const chunk of data) await handle.write(chunk);
        await handle.sync();
    } catch (err) {
        await handle.close().catch(() => undefined);
        await fsp.rm(tmp, {force: true});
        throw err;
    }
    await handle.close();
    await fsp.rename(tmp, filePath);
}

export function writeFileAtomicSync(filePath: string, data: string | Uint8Array): void {
    fs.mkdirSync(path.dirname(filePath), {recursive: true});
    const tmp = tempPathFor(filePath);
    try {
        const fd = fs.openSync(tmp, "w");
        try {
            fs.writeFileSync(fd, data);
            fs.fsyncSync(fd);
        } finally {
            fs.closeSync(fd);
        }
        fs.renameSync(tmp, filePath);
    } catch (err) {
        fs.rmSync(tmp, {force: true});
        throw err;
    }
}

export async function writeJsonAtomic(filePath: string, value: unknown): Promise<void> {
    await writeFileAtomic(filePath, JSON.stringify(value, null, 2) + "\n");
}

/** A sibling temp name: same folder, so the final rename never crosses file systems. */
export function tempPathFor(filePath: string): string {
    return path.join(path.dirname(filePath), `.${path.basename(filePath)}.${process.pid}.${crypto.randomBytes(4).toString("hex")}.tmp`);
}

/** Copies a file so that readers of the copy see either its old content or the new. */
export async function copyFileAtomic(from: string, to: string): Promise<void> {
    const tmp = tempPathFor(to);
    try {
        await fsp.copyFile(from, tmp);
        await fsp.rename(tmp, to);
    } catch (err) {
        await fsp.rm(tmp, {force: true});
        throw err;
    }
}
