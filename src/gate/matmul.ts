/**
 * Dense matrix products for the gate's classifiers, row-major Float32Array throughout. Sums accumulate in doubles
 * (JavaScript numbers) and are rounded to float32 once, on store.
 *
 * One kernel shape serves forward and backward: out(M, N) = a(M, K) · b(N, K)ᵀ reads both operands along contiguous
 * rows, and the other products are this one on transposed operands (transposing costs O(M·K), the product O(M·N·K)).
 */

/** out(M, N) = a(M, K) · b(N, K)ᵀ, plus `bias` (N) on every row when given. A 2×4 tile of sums stays in registers. */
export function matmulABt(out: Float32Array, a: Float32Array, b: Float32Array, M: number, N: number, K: number, bias?: Float32Array): void {
    checkShapes(out, a, b, M, N, K, bias);
    let m = 0;
    for (; m + 2 <= M; m += 2) {
        const a0 = m * K, a1 = a0 + K, o0 = m * N, o1 = o0 + N;
        let n = 0;
        for (; n + 4 <= N; n += 4) {
            const b0 = n * K, b1 = b0 + K, b2 = b1 + K, b3 = b2 + K;
            let s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
            for (let k = 0; k < K; k++) {
                const x0 = a[a0 + k]!, x1 = a[a1 + k]!;
                const w0 = b[b0 + k]!, w1 = b[b1 + k]!, w2 = b[b2 + k]!, w3 = b[b3 + k]!;
                s00 += x0 * w0; s01 += x0 * w1; s02 += x0 * w2; s03 += x0 * w3;
                s10 += x1 * w0; s11 += x1 * w1; s12 += x1 * w2; s13 += x1 * w3;
            }
            const c0 = bias ? bias[n]! : 0, c1 = bias ? bias[n + 1]! : 0, c2 = bias ? bias[n + 2]! : 0, c3 = bias ? bias[n + 3]! : 0;
            out[o0 + n] = s00 + c0; out[o0 + n + 1] = s01 + c1; out[o0 + n + 2] = s02 + c2; out[o0 + n + 3] = s03 + c3;
            out[o1 + n] = s10 + c0; out[o1 + n + 1] = s11 + c1; out[o1 + n + 2] = s12 + c2; out[o1 + n + 3] = s13 + c3;
        }
        for (; n < N; n++) {
            const b0 = n * K;
            let s0 = 0, s1 = 0;
            for (let k = 0; k < K; k++) {
                const w = b[b0 + k]!;
                s0 += a[a0 + k]! * w;
                s1 += a[a1 + k]! * w;
            }
            const c = bias ? bias[n]! : 0;
            out[o0 + n] = s0 + c;
            out[o1 + n] = s1 + c;
        }
    }
    // The odd last row (and the single row of a routing decision): 1×4 tiles.
    for (; m < M; m++) {
        const a0 = m * K, o0 = m * N;
        let n = 0;
        for (; n + 4 <= N; n += 4) {
            const b0 = n * K, b1 = b0 + K, b2 = b1 + K, b3 = b2 + K;
            let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
            for (let k = 0; k < K; k++) {
                const x = a[a0 + k]!;
                s0 += x * b[b0 + k]!; s1 += x * b[b1 + k]!; s2 += x * b[b2 + k]!; s3 += x * b[b3 + k]!;
            }
            out[o0 + n] = s0 + (bias ? bias[n]! : 0); out[o0 + n + 1] = s1 + (bias ? bias[n + 1]! : 0);
            out[o0 + n + 2] = s2 + (bias ? bias[n + 2]! : 0); out[o0 + n + 3] = s3 + (bias ? bias[n + 3]! : 0);
        }
        for (; n < N; n++) {
            const b0 = n * K;
            let s = 0;
            for (let k = 0; k < K; k++) s += a[a0 + k]! * b[b0 + k]!;
            out[o0 + n] = s + (bias ? bias[n]! : 0);
        }
    }
}

/** The reference for `matmulABt`: the definition, one sum at a time. */
export function naiveMatmulABt(out: Float32Array, a: Float32Array, b: Float32Array, M: number, N: number, K: number, bias?: Float32Array): void {
    checkShapes(out, a, b, M, N, K, bias);
    for (let m = 0; m < M; m++) {
        for (let n = 0; n < N; n++) {
            let s = bias ? bias[n]! : 0;
            for (let k = 0; k < K; k++) s += a[m * K + k]! * b[n * K + k]!;
            out[m * N + n] = s;
        }
    }
}

/** out(cols, rows) = src(rows, cols)ᵀ. */
export function transpose(out: Float32Array, src: Float32Array, rows: number, cols: number): void {
    if (src.length < rows * cols || out.length < rows * cols) throw new RangeError(`transpose: arrays shorter than ${rows}×${cols}`);
    for (let r = 0; r < rows; r++) {
        const base = r * cols;
        for (let c = 0; c < cols; c++) out[c * rows + r] = src[base + c]!;
    }
}

function checkShapes(out: Float32Array, a: Float32Array, b: Float32Array, M: number, N: number, K: number, bias?: Float32Array): void {
    // Typed arrays read undefined (NaN) past their end instead of throwing, so a wrong shape must be caught here.
    if (a.length < M * K || b.length < N * K || out.length < M * N || (bias && bias.length < N)) {
        throw new RangeError(`matmul: shapes do not fit the arrays (M=${M}, N=${N}, K=${K}; a ${a.length}, b ${b.length}, out ${out.length}${bias ? `, bias ${bias.length}` : ""})`);
    }
}
