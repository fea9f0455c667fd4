import {AdamWOptions, type AdamWOptionsInput} from "../train/adamw-options.js";

/** The defaults of the gate's optimiser: the shared schema's moments and ε, lr 1e-3 and no decay. */
const DEFAULTS: AdamWOptions = AdamWOptions.parse({lr: 1e-3, weightDecay: 0});

export type GateAdamWOptions = Partial<AdamWOptionsInput> & {
    /** Which parameter arrays decay (biases usually do not). Defaults to all. */
    decays?: readonly boolean[]
};

/**
 * AdamW (the update rule and option names of train/adamw-options.ts) over Float32Array parameters, updated in
 * place. Moments are kept in float64. Defaults: lr `1e-3`, weightDecay `0`, the schema's β1, β2 and ε.
 */
export class AdamW {
    private readonly params: readonly Float32Array[];
    private readonly m: Float64Array[];
    private readonly v: Float64Array[];
    private readonly options: AdamWOptions;
    private readonly decays: readonly boolean[];
    private t = 0;

    constructor(params: readonly Float32Array[], options: GateAdamWOptions = {}) {
        const {decays, ...rest} = options;
        this.params = params;
        this.m = params.map((p) => new Float64Array(p.length));
        this.v = params.map((p) => new Float64Array(p.length));
        this.options = {...DEFAULTS, ...Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined))};
        this.decays = decays ?? params.map(() => true);
    }

    /** One update from `grads` (shaped like the parameters). */
    step(grads: readonly Float32Array[]): void {
        const {lr, beta1, beta2, adamEps, weightDecay} = this.options;
        this.t++;
        const correction1 = 1 - beta1 ** this.t, correction2 = 1 - beta2 ** this.t;
        this.params.forEach((p, j) => {
            const g = grads[j]!, m = this.m[j]!, v = this.v[j]!;
            const decay = this.decays[j] ? lr * weightDecay : 0;
            for (let i = 0; i < p.length; i++) {
                const gi = g[i]!;
                const mi = m[i] = beta1 * m[i]! + (1 - beta1) * gi;
                const vi = v[i] = beta2 * v[i]! + (1 - beta2) * gi * gi;
                p[i] = p[i]! - decay * p[i]! - lr * (mi / correction1) / (Math.sqrt(vi / correction2) + adamEps);
            }
        });
    }
}
