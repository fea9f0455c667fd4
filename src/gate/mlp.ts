import type {Rng} from "../util/rng.js";
import {matmulABt, transpose} from "./matmul.js";

/** One fully connected layer. weight: (O, I) row-major; bias: (O). */
export type DenseLayer = {readonly inputWidth: number, readonly outputWidth: number, readonly weight: Float32Array, readonly bias: Float32Array};

/**
 * A binary classifier network: C → hidden widths (GELU) → 1 logit. With no hidden layer it is logistic regression,
 * so the gate's MLP and its baseline share one forward, one backward and one gradient check.
 *
 * Shapes: x (B, C) standardised features; z_l (B, O_l) pre-activations; h_l = gelu(z_l); the last z is the logit (B).
 * The loss is binary cross-entropy on the logit (sigmoid folded in, computed stably).
 */
export class Mlp {
    readonly layers: readonly DenseLayer[];

    private constructor(layers: readonly DenseLayer[]) {
        this.layers = layers;
    }

    /** A fresh network: weights and biases uniform in ±1/sqrt(fan-in) (PyTorch's `nn.Linear` default). */
    static create({inputWidth, hiddenWidths, rng}: {inputWidth: number, hiddenWidths: readonly number[], rng: Rng}): Mlp {
        const widths = [inputWidth, ...hiddenWidths, 1];
        for (const w of widths) if (!Number.isInteger(w) || w < 1) throw new RangeError(`Mlp: layer widths must be positive integers (got ${widths.join(" → ")})`);
        const layers: DenseLayer[] = [];
        for (let l = 0; l + 1 < widths.length; l++) {
            const I = widths[l]!, O = widths[l + 1]!, bound = 1 / Math.sqrt(I);
            const weight = new Float32Array(O * I), bias = new Float32Array(O);
            for (let i = 0; i < weight.length; i++) weight[i] = (2 * rng.next() - 1) * bound;
            for (let i = 0; i < O; i++) bias[i] = (2 * rng.next() - 1) * bound;
            layers.push({inputWidth: I, outputWidth: O, weight, bias});
        }
        return new Mlp(layers);
    }

    /** A network over existing weights (not copied); checks that the layers chain and end in one logit. */
    static fromLayers(layers: readonly DenseLayer[]): Mlp {
        if (layers.length === 0) throw new RangeError("Mlp: needs at least one layer");
        layers.forEach((layer, l) => {
            const {inputWidth: I, outputWidth: O} = layer;
            if (layer.weight.length !== O * I || layer.bias.length !== O) throw new RangeError(`Mlp: layer ${l} is ${O}×${I} but has ${layer.weight.length} weights and ${layer.bias.length} biases`);
            if (l > 0 && I !== layers[l - 1]!.outputWidth) throw new RangeError(`Mlp: layer ${l} takes ${I} inputs but layer ${l - 1} gives ${layers[l - 1]!.outputWidth}`);
        });
        if (layers.at(-1)!.outputWidth !== 1) throw new RangeError(`Mlp: the last layer must give 1 logit (gives ${layers.at(-1)!.outputWidth})`);
        return new Mlp(layers);
    }

    get inputWidth(): number {
        return this.layers[0]!.inputWidth;
    }

    get hiddenWidths(): number[] {
        return this.layers.slice(0, -1).map((l) => l.outputWidth);
    }

    get parameterCount(): number {
        return this.layers.reduce((n, l) => n + l.weight.length + l.bias.length, 0);
    }

    /** Weight and bias of every layer, in order: the arrays the optimiser updates in place. */
    parameters(): Float32Array[] {
        return this.layers.flatMap((l) => [l.weight, l.bias]);
    }

    /** Zeroed arrays shaped like `parameters()`. */
    zeroGradients(): Float32Array[] {
        return this.parameters().map((p) => new Float32Array(p.length));
    }

    clone(): Mlp {
        return new Mlp(this.layers.map((l) => ({...l, weight: l.weight.slice(), bias: l.bias.slice()})));
    }

    /** Overwrites this network's parameters with `other`'s (same shapes). */
    copyFrom(other: Mlp): void {
        const mine = this.parameters(), theirs = other.parameters();
        if (mine.length !== theirs.length) throw new RangeError("Mlp.copyFrom: different depth");
        mine.forEach((p, i) => p.set(theirs[i]!));
    }

    /** The logit of each of `rows` examples in x (rows, C). */
    logits(x: Float32Array, rows: number): Float32Array {
        return this.forward(x, rows).at(-1)!.z;
    }

    /**
     * Mean binary cross-entropy of the logits against `targets` (0/1, length rows), and its gradient with respect
     * to every parameter, written into `grads` (shaped like `parameters()`; overwritten, not accumulated).
     */
    lossAndGradients(x: Float32Array, targets: Float32Array, rows: number, grads: Float32Array[]): number {
        const B = rows;
        const trace = this.forward(x, B);
        const logit = trace.at(-1)!.z;
        let loss = 0;
        // dz: (B, O) gradient of the mean loss with respect to the current layer's pre-activation.
        let dz = new Float32Array(B);
        for (let b = 0; b < B; b++) {
            const z = logit[b]!, y = targets[b]!;
            loss += Math.max(z, 0) - z * y + Math.log1p(Math.exp(-Math.abs(z)));
            dz[b] = (sigmoid(z) - y) / B;
        }
        for (let l = this.layers.length - 1; l >= 0; l--) {
            const {inputWidth: I, outputWidth: O, weight} = this.layers[l]!;
            const input = l === 0 ? x : trace[l - 1]!.h!;
            const dW = grads[2 * l]!, db = grads[2 * l + 1]!;
            // dW (O, I) = dzᵀ (O, B) · input (B, I)
            const dzT = new Float32Array(O * B), inputT = new Float32Array(I * B);
            transpose(dzT, dz, B, O);
            transpose(inputT, input, B, I);
            matmulABt(dW, dzT, inputT, O, I, B);
            db.fill(0);
            for (let b = 0; b < B; b++) for (let o = 0; o < O; o++) db[o]! += dz[b * O + o]!;
            if (l === 0) break;
            // dh (B, I) = dz (B, O) · W (O, I); then through the previous layer's GELU.
            const weightT = new Float32Array(I * O), dh = new Float32Array(B * I);
            transpose(weightT, weight, O, I);
            matmulABt(dh, dz, weightT, B, I, O);
            const zPrev = trace[l - 1]!.z;
            for (let i = 0; i < dh.length; i++) dh[i] = dh[i]! * geluDerivative(zPrev[i]!);
            dz = dh;
        }
        return loss / B;
    }

    /** Per layer: pre-activation z (B, O) and, for hidden layers, h = gelu(z). */
    private forward(x: Float32Array, B: number): {z: Float32Array, h?: Float32Array}[] {
        if (x.length < B * this.inputWidth) throw new RangeError(`Mlp: input has ${x.length} values, need ${B}×${this.inputWidth}`);
        const trace: {z: Float32Array, h?: Float32Array}[] = [];
        let input = x;
        this.layers.forEach((layer, l) => {
            const z = new Float32Array(B * layer.outputWidth);
            matmulABt(z, input, layer.weight, B, layer.outputWidth, layer.inputWidth, layer.bias);
            if (l === this.layers.length - 1) trace.push({z});
            else {
                const h = new Float32Array(z.length);
                for (let i = 0; i < z.length; i++) h[i] = gelu(z[i]!);
                trace.push({z, h});
                input = h;
            }
        });
        return trace;
    }
}

const GELU_C = Math.sqrt(2 / Math.PI);

/** GELU, tanh form (as GPT-2): within 1e-3 of the erf form, and its derivative is exact in closed form. */
export function gelu(x: number): number {
    return 0.5 * x * (1 + Math.tanh(GELU_C * (x + 0.044715 * x * x * x)));
}

export function geluDerivative(x: number): number {
    const t = Math.tanh(GELU_C * (x + 0.044715 * x * x * x));
    return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * GELU_C * (1 + 3 * 0.044715 * x * x);
}

export function sigmoid(z: number): number {
    return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}
