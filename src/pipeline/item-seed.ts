import crypto from "node:crypto";

/**
 * The sampling seed of one item: a hash of the run's seed, the stage and the item's id. It does not depend on the
 * order items run in or on what ran before, so a resumed run samples each pending item exactly as an
 * uninterrupted run would.
 */
export function itemSeed(runSeed: number, stage: string, itemId: string): number {
    return crypto.createHash("sha256").update(`${runSeed}\u0000${stage}\u0000${itemId}`).digest().readUInt32LE(0);
}
