import {Rng} from "../util/rng.js";
import {cleanQuery, MIN_QUERY_CHARS, normalizeQuery, trigramSimilarity} from "./clean-query.js";
import type {QueryAttemptRecord, QueryRecord} from "./run-records.js";

export type QueryDropReason = "tooShort" | "duplicate" | "nearDuplicate";

export type DomainQuerySelection = {
    kept: Omit<QueryRecord, "split">[],
    dropped: Record<QueryDropReason, number>,
    /** Attempts looked at (a prefix of the attempt indices). */
    attempts: number
};

/**
 * One domain's kept queries from its attempts, a pure function of them: attempts are taken in index order, cleaned,
 * and kept unless too short or a duplicate (exact after normalisation, or near: trigram similarity at or above
 * `nearDuplicateSimilarity`) of a query kept before, until `limit` are kept. Since it looks only at a prefix of
 * attempts in order, generating more attempts later never changes what was kept, and a resumed run keeps the same.
 */
export function selectDomainQueries(attempts: readonly QueryAttemptRecord[], options: {limit: number, nearDuplicateSimilarity: number}): DomainQuerySelection {
    const sorted = [...attempts].sort((a, b) => a.attempt - b.attempt);
    const kept: Omit<QueryRecord, "split">[] = [];
    const keptNormalized: string[] = [];
    const dropped: Record<QueryDropReason, number> = {tooShort: 0, duplicate: 0, nearDuplicate: 0};
    let looked = 0;
    for (const a of sorted) {
        if (kept.length >= options.limit || a.attempt !== looked) break; // stop at the limit or at a gap
        looked++;
        const text = cleanQuery(a.text);
        if (text.length < MIN_QUERY_CHARS) {
            dropped.tooShort++;
            continue;
        }
        const normalized = normalizeQuery(text);
        if (keptNormalized.includes(normalized)) {
            dropped.duplicate++;
            continue;
        }
        if (keptNormalized.some((k) => trigramSimilarity(k, normalized) >= options.nearDuplicateSimilarity)) {
            dropped.nearDuplicate++;
            continue;
        }
        kept.push({id: a.id, domain: a.domain, text});
        keptNormalized.push(normalized);
    }
    return {kept, dropped, attempts: looked};
}

/**
 * Holds out `share` of each domain's queries (rounded, at least one when the domain has two or more, never all),
 * chosen by a seeded shuffle per domain so the split does not depend on the other domains.
 */
export function assignSplits(queries: readonly Omit<QueryRecord, "split">[], share: number, seed: number): QueryRecord[] {
    const byDomain = new Map<string, Omit<QueryRecord, "split">[]>();
    for (const q of queries) {
        if (!byDomain.has(q.domain)) byDomain.set(q.domain, []);
        byDomain.get(q.domain)!.push(q);
    }
    const heldOut = new Set<string>();
    for (const [domain, list] of byDomain) {
        const n = list.length;
        const count = n < 2 ? 0 : Math.min(n - 1, Math.max(1, Math.round(share * n)));
        for (const q of new Rng(seed).fork(`held-out/${domain}`).shuffle(list.slice()).slice(0, count)) heldOut.add(q.id);
    }
    return queries.map((q) => ({...q, split: heldOut.has(q.id) ? "heldOut" : "train"}));
}
