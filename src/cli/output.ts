import type {RouteInfo} from "../engine/engine.js";

/** Prints a command's result: one JSON document with --json (for scripts), else the human text. */
export function printResult(value: unknown, options: {json: boolean, human: () => string}): void {
    if (options.json) process.stdout.write(JSON.stringify(value, jsonReplacer, 2) + "\n");
    else process.stdout.write(options.human().replace(/\n?$/, "\n"));
}

export function jsonReplacer(_key: string, value: unknown): unknown {
    if (typeof value === "bigint") return Number(value);
    if (value instanceof Float32Array || value instanceof Int32Array) return Array.from(value);
    return value;
}

/** Left-aligned two-column table for human output. */
export function formatTable(rows: readonly (readonly [string, string | number])[]): string {
    const width = Math.max(0, ...rows.map(([k]) => k.length));
    return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join("\n");
}

export function formatBytes(n: number): string {
    const units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let i = 0;
    while (n >= 1024 && i < units.length - 1) {
        n /= 1024;
        i++;
    }
    return `${i === 0 ? n : n.toFixed(1)} ${units[i]}`;
}

/** How a routed answer was routed: "(gate 0.731)", "(first turn's decision, gate 0.731)" or "(forced)". */
export function describeRoute(route: RouteInfo): string {
    const score = route.score === null ? "" : `gate ${route.score.toFixed(3)}`;
    return route.reason === "explicit" ? "(forced)" : route.reason === "reused" ? `(first turn's decision, ${score})` : `(${score})`;
}

/** A config default as help text shows it: small numbers in exponent form (2e-4), others as written. */
export function formatDefault(value: unknown): string {
    if (typeof value === "number") return value !== 0 && Math.abs(value) < 1e-3 ? value.toExponential() : String(value);
    return Array.isArray(value) ? value.join(",") : String(value);
}
