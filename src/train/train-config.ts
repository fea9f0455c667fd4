import {z} from "zod";
import {LoraConfig} from "../lora/lora-config.js";
import {parseConfig} from "../util/parse-config.js";
import {AdamWOptions} from "./adamw-options.js";

/**
 * Every training setting, flat, with the defaults the PRISM paper uses where it gives one. Saved in each checkpoint
 * (a resumed run continues with exactly these) and in the run summary.
 */
export const TrainConfig = LoraConfig.extend({
    /** "distill": KL to the persona-prompted teacher; "sft": cross-entropy on the answers; "mix": both. Defaults to `"distill"`. */
    objective: z.enum(["sft", "distill", "mix"]).default("distill"),
    /** With "mix", the distillation loss's share (the SFT loss gets the rest). Defaults to `0.5`. */
    distillWeight: z.number().min(0).max(1).default(0.5),
    /** Distillation temperature T (the loss is scaled by T²). Defaults to `2`. */
    temperature: z.number().positive().default(2),
    /** Teacher tokens kept per position (renormalised). Defaults to `64`. */
    topK: z.number().int().min(1).max(1024).default(64),
    /** Passes over the data. Defaults to `3`. */
    epochs: z.number().int().min(1).default(3),
    /** Stop after this many optimiser steps (0: run all epochs). Defaults to `0`. */
    maxSteps: z.number().int().min(0).default(0),
    /** Peak learning rate. Defaults to `2e-4`. */
    lr: AdamWOptions.shape.lr.default(2e-4),
    /** Fraction of the steps spent warming the learning rate up linearly from 0. Defaults to `0.05`. */
    warmupRatio: z.number().min(0).max(1).default(0.05),
    /** Where the cosine decay ends, as a fraction of lr. Defaults to `0.1`. */
    minLrRatio: z.number().min(0).max(1).default(0.1),
    /** Decoupled AdamW weight decay. Defaults to `0.01`. */
    weightDecay: AdamWOptions.shape.weightDecay.default(0.01),
    /** AdamW's moments and ε (see AdamWOptions). */
    beta1: AdamWOptions.shape.beta1,
    beta2: AdamWOptions.shape.beta2,
    adamEps: AdamWOptions.shape.adamEps,
    /** Clip the global gradient norm to this (0: no clipping). Defaults to `1`. */
    gradClip: z.number().min(0).default(1),
    /** Sequences per micro-batch. Defaults to `4`. */
    batchSize: z.number().int().min(1).max(1024).default(4),
    /** Micro-batches per optimiser step. Defaults to `1`. */
    gradAccum: z.number().int().min(1).default(1),
    /** Longest student sequence (prompt + answer) in tokens; longer answers are cut to fit. Defaults to `512`. */
    maxLen: z.number().int().min(8).default(512),
    /** Seed of the initialisation, the data order and dropout. Defaults to `1337`. */
    seed: z.number().int().min(0).default(1337),
    /** Write a checkpoint every this many steps (and always at the end or on interruption). Defaults to `50`. */
    checkpointEvery: z.number().int().min(1).default(50),
    /**
     * Evaluate the held-out set every this many optimiser steps (and at the last), keeping the adapter of the lowest
     * held-out loss as the run's result; 0: no evaluation during training. Defaults to `0`.
     */
    evalEvery: z.number().int().min(0).default(0)
}).strict();
export type TrainConfig = z.output<typeof TrainConfig>;
export type TrainConfigInput = z.input<typeof TrainConfig>;

/** Parses and completes a config; an error names the field and the value it got. */
export function resolveTrainConfig(input: TrainConfigInput = {}): TrainConfig {
    return parseConfig(TrainConfig, input, "training config");
}

/** Each objective's weight: mix splits the loss, the others take all of it. */
export function objectiveWeights(c: Pick<TrainConfig, "objective" | "distillWeight">): {sft: number, distill: number} {
    if (c.objective === "sft") return {sft: 1, distill: 0};
    if (c.objective === "distill") return {sft: 0, distill: 1};
    return {sft: 1 - c.distillWeight, distill: c.distillWeight};
}
