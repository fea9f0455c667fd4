/**
 * Takes up to `limit` items from several groups in turn (the first of each group, then the second, …), so a short
 * run still covers every group. Groups keep their own order; the result is deterministic.
 */
export function roundRobin<T>(groups: readonly (readonly T[])[], limit = Infinity): T[] {
    const out: T[] = [];
    for (let i = 0; out.length < limit; i++) {
        let any = false;
        for (const group of groups) {
            if (i >= group.length) continue;
            any = true;
            out.push(group[i]!);
            if (out.length >= limit) break;
        }
        if (!any) break;
    }
    return out;
}

/** Groups items by a key, keeping first-seen key order and item order. */
export function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
    const groups = new Map<string, T[]>();
    for (const item of items) {
        const k = key(item);
        const list = groups.get(k);
        if (list) list.push(item);
        else groups.set(k, [item]);
    }
    return groups;
}
