export type AdamWOptions = {
    /** Defaults to `1e-3`. */
    learningRate?: number,
    /** Defaults to `0.9`. */
    beta1?: number,
    /** Defaults to `0.999`. */
    beta2?: number,
    /** Defaults to `1e-8`. */
    epsilon?: number,
    /** Decoupled weight decay (Loshchilov & Hutter), applied as p -= lr·wd·p. Defaults to `0`. */
    weightDecay?: number,
    /** Which parameter arrays decay (biases usually do not). Defaults to all. */
    decays?: readonly boolean[]
};

/** Adam with decoupled weight decay over Float32Array parameters, updated in place. Moments are kept in float64. */
export class AdamW {
    private readonly params: readonly Float32Array[];
    private readonly m: Float64Array[];
    private readonly v: Float64Array[];
    private readonly options: Required<Omit<AdamWOptions, "decays">> & {decays: readonly boolean[]};
    private t = 0;

    constructor(params: readonly Float32Array[], options: AdamWOptions = {}) {
        this.params = params;
        this.m = params.map((p) => new Float64Array(p.length));
        this.v = params.map((p) => new Float64Array(p.length));
        this.options = {learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0, decays: params.map(() => true), ...options};
    }

    /** One update from `grads` (shaped like the parameters). */
    step(grads: readonly Float32Array[]): void {
        const {learningRate: lr, beta1, beta2, epsilon, weightDecay, decays} = this.options;
        this.t++;
        const correction1 = 1 - beta1 ** this.t, correction2 = 1 - beta2 ** this.t;
        this.params.forEach((p, j) => {
            const g = grads[j]!, m = this.m[j]!, v = this.v[j]!;
            const decay = decays[j] ? lr * weightDecay : 0;
            for (let i = 0; i < p.length; i++) {
                const gi = g[i]!;
                const mi = m[i] = beta1 * m[i]! + (1 - beta1) * gi;
                const vi = v[i] = beta2 * v[i]! + (1 - beta2) * gi * gi;
                p[i] = p[i]! - decay * p[i]! - lr * (mi / correction1) / (Math.sqrt(vi / correction2) + epsilon);
            }
        });
    }
}
