import fs from "node:fs";
import fsp from "node:fs/promises";
import {z} from "zod";
import {writeJsonAtomic} from "../util/atomic-write.js";
import {InvalidInputError, MissingFileError, UsageError} from "../util/prism-error.js";
import {Gate, GateKind, GateTrainingInfo} from "./gate.js";
import {GateFeatureDefinition} from "./gate-features.js";
import {GateMismatchError} from "./gate-mismatch-error.js";
import {Mlp} from "./mlp.js";
import {Standardizer} from "./standardizer.js";

export const GATE_FILE_FORMAT = "prism-gate";
export const GATE_FILE_VERSION = 1;

/**
 * The gate file: one JSON document, `{"format": "prism-gate", "version": 1, …}`. Weights are base64 of
 * little-endian float32, so they come back bit for bit; an MLP gate for a 896-wide model is about 0.6 MB.
 *
 *   kind          "mlp" | "logreg"
 *   activation    "gelu-tanh" between hidden layers; the last layer's single output is a logit (sigmoid → score)
 *   features      {layer, position: "last-prompt-token", width}: what the gate reads
 *   modelFingerprint  the model the gate was trained for; loading for another model is refused
 *   threshold     the adapter is used when score ≥ threshold, in [0, 1]
 *   standardizer  {mean, std}: (C) each, applied before the first layer
 *   layers        [{inputWidth, outputWidth, weight: (O, I) row-major, bias: (O)}]
 *   training      how it was trained and its held-out metrics (optional)
 *   createdAt, createdBy
 */
const Base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, "not base64");

const GateFileSchema = z.object({
    format: z.literal(GATE_FILE_FORMAT),
    version: z.literal(GATE_FILE_VERSION),
    kind: GateKind,
    activation: z.literal("gelu-tanh"),
    features: GateFeatureDefinition,
    modelFingerprint: z.string().min(1),
    threshold: z.number().min(0).max(1),
    standardizer: z.object({mean: Base64, std: Base64}),
    layers: z.array(z.object({inputWidth: z.number().int().positive(), outputWidth: z.number().int().positive(), weight: Base64, bias: Base64})).min(1),
    training: GateTrainingInfo.optional(),
    createdAt: z.string(),
    createdBy: z.string()
});
export type GateFile = z.infer<typeof GateFileSchema>;

/** A gate file that is not one, is damaged, or comes from a newer prism. */
export class GateFileError extends InvalidInputError {
    readonly path: string;
    constructor(path: string, reason: string, hint = "re-run bootstrap to write a fresh gate, or check that the path points at a gate file") {
        super("E_GATE_FILE", `${path}: ${reason}`, {hint, details: {path, reason}});
        this.path = path;
    }
}

/** The file's JSON document for `gate`. Forced thresholds (±Infinity) are for routing in memory and cannot be saved. */
export function gateToJson(gate: Gate): GateFile {
    if (!(gate.threshold >= 0 && gate.threshold <= 1)) throw new UsageError(`a gate with threshold ${gate.threshold} cannot be saved: the file keeps thresholds in [0, 1]`, {hint: "force base or adapter in the router instead (the router's force option)"});
    return {
        format: GATE_FILE_FORMAT,
        version: GATE_FILE_VERSION,
        kind: gate.kind,
        activation: "gelu-tanh",
        features: gate.features,
        modelFingerprint: gate.modelFingerprint,
        threshold: gate.threshold,
        standardizer: {mean: encodeFloat32(gate.standardizer.mean), std: encodeFloat32(gate.standardizer.std)},
        layers: gate.net.layers.map((l) => ({inputWidth: l.inputWidth, outputWidth: l.outputWidth, weight: encodeFloat32(l.weight), bias: encodeFloat32(l.bias)})),
        ...(gate.training ? {training: gate.training} : {}),
        createdAt: gate.createdAt,
        createdBy: "prism"
    };
}

/** Rebuilds a gate from a parsed gate document; `source` names it in errors (a path, or "gate"). */
export function gateFromJson(value: unknown, source = "gate"): Gate {
    const head = z.object({format: z.string(), version: z.number()}).safeParse(value);
    if (!head.success || head.data.format !== GATE_FILE_FORMAT) throw new GateFileError(source, `not a prism gate file (expected "format": "${GATE_FILE_FORMAT}")`);
    if (head.data.version !== GATE_FILE_VERSION) {
        throw new GateFileError(source, `gate file format version ${head.data.version}; this prism reads version ${GATE_FILE_VERSION}`,
            head.data.version > GATE_FILE_VERSION ? "it was written by a newer prism: upgrade prism" : "re-run bootstrap to write a gate in the current format");
    }
    const parsed = GateFileSchema.safeParse(value);
    if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        throw new GateFileError(source, `invalid gate file at "${issue.path.join(".") || "(root)"}": ${issue.message}`);
    }
    const file = parsed.data;
    const C = file.features.width;
    const layers = file.layers.map((l, i) => ({
        inputWidth: l.inputWidth, outputWidth: l.outputWidth,
        weight: decodeFloat32(l.weight, l.inputWidth * l.outputWidth, source, `layers.${i}.weight`),
        bias: decodeFloat32(l.bias, l.outputWidth, source, `layers.${i}.bias`)
    }));
    if (layers[0]!.inputWidth !== C) throw new GateFileError(source, `the first layer takes ${layers[0]!.inputWidth} inputs but the features are ${C} wide`);
    if ((file.kind === "logreg") !== (layers.length === 1)) throw new GateFileError(source, `a ${file.kind} gate with ${layers.length} layer(s)`);
    let net: Mlp;
    try {
        net = Mlp.fromLayers(layers);
    } catch (err) {
        throw new GateFileError(source, (err as Error).message);
    }
    const standardizer = new Standardizer(decodeFloat32(file.standardizer.mean, C, source, "standardizer.mean"), decodeFloat32(file.standardizer.std, C, source, "standardizer.std"));
    const zeroStd = standardizer.std.findIndex((s) => !(s > 0));
    if (zeroStd >= 0) throw new GateFileError(source, `standardizer.std[${zeroStd}] is ${standardizer.std[zeroStd]}; standard deviations must be positive`);
    return new Gate({
        kind: file.kind, net, standardizer, threshold: file.threshold, features: file.features, modelFingerprint: file.modelFingerprint,
        training: file.training, createdAt: file.createdAt
    });
}

/** Writes the gate file atomically. */
export async function saveGate(filePath: string, gate: Gate): Promise<void> {
    await writeJsonAtomic(filePath, gateToJson(gate));
}

export type LoadGateOptions = {
    /** When given, a gate made for another model is refused with `GateMismatchError`. */
    modelFingerprint?: string
};

/** Reads and validates a gate file. */
export async function loadGate(filePath: string, options: LoadGateOptions = {}): Promise<Gate> {
    if (!fs.existsSync(filePath)) throw new MissingFileError(filePath, "gate file");
    const text = await fsp.readFile(filePath, "utf8");
    let value: unknown;
    try {
        value = JSON.parse(text);
    } catch (err) {
        throw new GateFileError(filePath, `not valid JSON (${(err as Error).message})`);
    }
    const gate = gateFromJson(value, filePath);
    if (options.modelFingerprint !== undefined && options.modelFingerprint !== gate.modelFingerprint) {
        throw new GateMismatchError(filePath, "modelFingerprint", gate.modelFingerprint, options.modelFingerprint);
    }
    return gate;
}

// Node runs only on little-endian machines, so a Float32Array's bytes are already the file's byte order.
function encodeFloat32(values: Float32Array): string {
    return Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString("base64");
}

function decodeFloat32(text: string, expected: number, source: string, field: string): Float32Array {
    const bytes = Buffer.from(text, "base64");
    if (bytes.length !== expected * 4) throw new GateFileError(source, `${field} holds ${bytes.length / 4} float32 values, expected ${expected}`);
    const out = new Float32Array(expected);
    new Uint8Array(out.buffer).set(bytes);
    for (let i = 0; i < expected; i++) if (!Number.isFinite(out[i]!)) throw new GateFileError(source, `${field}[${i}] is ${out[i]}`);
    return out;
}
