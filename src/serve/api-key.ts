import crypto from "node:crypto";

/**
 * Whether an `Authorization: Bearer KEY` header carries `key`. Both sides are hashed first, so the comparison takes
 * the same time whatever the length or content of the guess (no timing side channel on the key).
 */
export function hasApiKey(authorization: string | undefined, key: string): boolean {
    const match = /^Bearer\s+(.+)$/i.exec(authorization?.trim() ?? "");
    const digest = (s: string) => crypto.createHash("sha256").update(s, "utf8").digest();
    const ok = crypto.timingSafeEqual(digest(match?.[1] ?? ""), digest(key));
    return ok && match !== null;
}
