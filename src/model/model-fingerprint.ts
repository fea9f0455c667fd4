import crypto from "node:crypto";
import fs from "node:fs";

/**
 * A short, stable identity for a model file: a hash of its header (metadata and tensor directory) and of 16 slices
 * of its tensor data. Cheap on multi-gigabyte files, and different for two random tiny models that differ only in seed.
 * Adapters, gates and run directories record it, so they can refuse a model they were not made for.
 */
export function modelFingerprint(filePath: string, dataOffset: number): string {
    const hash = crypto.createHash("sha256");
    const size = fs.statSync(filePath).size;
    const fd = fs.openSync(filePath, "r");
    try {
        const read = (pos: number, len: number) => {
            const buf = Buffer.alloc(len);
            const n = fs.readSync(fd, buf, 0, len, pos);
            hash.update(buf.subarray(0, n));
        };
        read(0, dataOffset);
        const slice = 64 * 1024;
        const span = Math.max(0, size - dataOffset - slice);
        for (let i = 0; i < 16; i++) read(dataOffset + Math.floor((span * i) / 15), slice);
        hash.update(String(size));
    } finally {
        fs.closeSync(fd);
    }
    return "sha256:" + hash.digest("hex").slice(0, 32);
}
