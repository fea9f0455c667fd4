import {UsageError} from "./prism-error.js";

const UNITS: Record<string, number> = {
    "": 1, b: 1, k: 1e3, kb: 1e3, m: 1e6, mb: 1e6, g: 1e9, gb: 1e9, t: 1e12, tb: 1e12,
    kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3, tib: 1024 ** 4
};

/** "10GiB", "8G", "512 MiB", "1e9" → bytes; `what` names the flag or variable in the error. */
export function parseByteSize(text: string, what: string): number {
    const m = /^\s*(\d+(?:\.\d+)?(?:e\d+)?)\s*([a-z]*)\s*$/i.exec(text);
    const unit = m ? UNITS[m[2]!.toLowerCase()] : undefined;
    if (!m || unit === undefined || !(Number(m[1]) > 0))
        throw new UsageError(`${what}: expected a size like 10GiB, 8G or 512MiB, got ${JSON.stringify(text)}`);
    return Math.round(Number(m[1]) * unit);
}

/** Bytes for people: "1.5 GiB". */
export function formatByteSize(n: number): string {
    const units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let i = 0;
    while (Math.abs(n) >= 1024 && i < units.length - 1) {
        n /= 1024;
        i++;
    }
    return `${i === 0 ? n : n.toFixed(2)} ${units[i]}`;
}
