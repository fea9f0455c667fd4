import {ResourceError} from "../util/prism-error.js";
import type {LoadedRawGgml} from "./raw.js";

/**
 * What raw.ts was written against: the ggml inside node-llama-cpp 3.21.1 (llama.cpp release v0.4.0). A different
 * node-llama-cpp may move struct fields or renumber enums, and a mismatched call crashes the process instead of
 * throwing, so the binding refuses to run on anything else.
 */
export const GGML_ABI = {
    nodeLlamaCppVersion: "3.21.1",
    ggmlVersion: "0.23.0",
    ggmlCommit: "5b4ebc5",
    /** GGML_OBJECT_SIZE + sizeof(struct ggml_tensor). */
    tensorOverheadBytes: 368,
    tensorStructBytes: 336,
    /** Enum values raw.ts and its callers pass as numbers, with the names ggml gives them. */
    types: {0: "f32", 1: "f16", 8: "q8_0", 26: "i32"} as Record<number, string>,
    ops: {2: "ADD", 29: "MUL_MAT", 31: "OUT_PROD", 40: "GET_ROWS", 42: "SET_ROWS", 48: "ROPE", 49: "ROPE_BACK"} as Record<number, string>
} as const;

export class GgmlAbiError extends ResourceError {
    constructor(what: string, found: unknown, expected: unknown) {
        super("E_GGML_ABI", `the loaded ggml does not match prism's binding: ${what} is ${JSON.stringify(found)}, expected ${JSON.stringify(expected)}`, {
            hint: `install the node-llama-cpp version prism pins (${GGML_ABI.nodeLlamaCppVersion}) with npm ci`,
            details: {what, found, expected}
        });
    }
}

/** Checks the loaded library against GGML_ABI; throws GgmlAbiError on the first difference. */
export function checkGgmlAbi({raw, extras}: LoadedRawGgml): void {
    const expect = (what: string, found: unknown, expected: unknown) => {
        if (found !== expected) throw new GgmlAbiError(what, found, expected);
    };
    expect("ggml_version()", raw.ggml_version(), GGML_ABI.ggmlVersion);
    expect("ggml_commit()", raw.ggml_commit(), GGML_ABI.ggmlCommit);
    expect("ggml_tensor_overhead()", raw.ggml_tensor_overhead(), GGML_ABI.tensorOverheadBytes);
    expect("sizeof(struct ggml_tensor) in the binding", extras.tensorStructSize, GGML_ABI.tensorStructBytes);
    for (const [type, name] of Object.entries(GGML_ABI.types)) expect(`ggml_type_name(${type})`, raw.ggml_type_name(Number(type)), name);
    for (const [op, name] of Object.entries(GGML_ABI.ops)) expect(`ggml_op_name(${op})`, raw.ggml_op_name(Number(op)), name);
}
