import type {AccessLog, AccessLogEntry} from "../../src/serve/access-log.js";

/** An access log kept in memory, for tests to read. */
export function memoryAccessLog(): AccessLog & {entries: AccessLogEntry[]} {
    const entries: AccessLogEntry[] = [];
    return {entries, write: (e) => void entries.push(e), close: async () => undefined};
}

/** The sum of the samples of `name` in Prometheus text whose labels include `labels`. */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
    let sum = 0, found = false;
    for (const line of text.split("\n")) {
        const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
        if (!m || m[1] !== name) continue;
        const have = Object.fromEntries([...(m[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]]));
        if (Object.entries(labels).every(([k, v]) => have[k] === v)) {
            sum += Number(m[3]);
            found = true;
        }
    }
    if (!found) throw new Error(`no sample of ${name} ${JSON.stringify(labels)} in the metrics`);
    return sum;
}
