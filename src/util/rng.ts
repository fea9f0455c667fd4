/**
 * A small seeded PRNG (SplitMix64 seeding xoshiro128**): deterministic across platforms, unlike Math.random.
 * Its whole state is four 32-bit words, so checkpoints can save and restore it.
 */
export class Rng {
    private s: Uint32Array;

    constructor(seed: number | bigint | readonly number[] = 0) {
        if (Array.isArray(seed)) {
            this.s = Uint32Array.from(seed as number[]);
            return;
        }
        let x = BigInt.asUintN(64, BigInt(seed as number | bigint));
        const next = (): bigint => {
            x = BigInt.asUintN(64, x + 0x9e3779b97f4a7c15n);
            let z = x;
            z = BigInt.asUintN(64, (z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n);
            z = BigInt.asUintN(64, (z ^ (z >> 27n)) * 0x94d049bb133111ebn);
            return z ^ (z >> 31n);
        };
        const a = next(), b = next();
        this.s = Uint32Array.from([Number(a & 0xffffffffn), Number(a >> 32n), Number(b & 0xffffffffn), Number(b >> 32n)]);
        if (this.s.every((v) => v === 0)) this.s[0] = 1;
    }

    /** The state, to save in a checkpoint; `new Rng(state)` continues the same stream. */
    get state(): number[] {
        return Array.from(this.s);
    }

    /** A uniform 32-bit unsigned integer. */
    nextU32(): number {
        const s = this.s;
        const result = Math.imul(rotl(Math.imul(s[1]!, 5), 7), 9) >>> 0;
        const t = (s[1]! << 9) >>> 0;
        s[2]! ^= s[0]!;
        s[3]! ^= s[1]!;
        s[1]! ^= s[2]!;
        s[0]! ^= s[3]!;
        s[2]! ^= t;
        s[3] = rotl(s[3]!, 11);
        return result;
    }

    /** A uniform float in [0, 1). */
    next(): number {
        return (this.nextU32() >>> 8) / 16777216 + (this.nextU32() >>> 11) / 9007199254740992;
    }

    /** A uniform integer in [0, n). */
    int(n: number): number {
        return Math.floor(this.next() * n);
    }

    /** A standard normal sample (Box-Muller). */
    normal(): number {
        let u = 0;
        while (u === 0) u = this.next();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
    }

    shuffle<T>(items: T[]): T[] {
        for (let i = items.length - 1; i > 0; i--) {
            const j = this.int(i + 1);
            [items[i], items[j]] = [items[j]!, items[i]!];
        }
        return items;
    }

    /** An independent generator derived from this one and a label, so adding a consumer does not shift others. */
    fork(label: string): Rng {
        let h = 0x811c9dc5;
        for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193) >>> 0;
        return new Rng([this.s[0]! ^ h, this.s[1]!, this.s[2]! ^ Math.imul(h, 0x9e3779b1), this.s[3]! | 1]);
    }
}

function rotl(x: number, k: number): number {
    return ((x << k) | (x >>> (32 - k))) >>> 0;
}
