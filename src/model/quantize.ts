import {floatToHalf, floatsToHalves, halfToFloat, halvesToFloats} from "./float16.js";
import {GgmlType, ggmlTypeName} from "./ggml-type.js";

/**
 * Reference encoders/decoders for the few types prism writes itself (tiny models, adapters).
 * Real models' other quantized types are decoded by ggml, not here.
 */
export function encodeTensor(values: Float32Array, type: GgmlType): Uint8Array {
    switch (type) {
        case GgmlType.F32: return new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength));
        case GgmlType.F16: return new Uint8Array(floatsToHalves(values).buffer);
        case GgmlType.Q8_0: return quantizeQ8_0(values);
        default: throw new Error(`prism cannot encode ${ggmlTypeName(type)} in TypeScript`);
    }
}

export function decodeTensor(bytes: Uint8Array, type: GgmlType, count: number): Float32Array {
    switch (type) {
        case GgmlType.F32: return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + count * 4));
        case GgmlType.F16: return halvesToFloats(new Uint16Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + count * 2)));
        case GgmlType.Q8_0: return dequantizeQ8_0(bytes, count);
        default: throw new Error(`prism cannot decode ${ggmlTypeName(type)} in TypeScript`);
    }
}

/** ggml's quantize_row_q8_0_ref: blocks of 32, one f16 scale amax/127, then 32 int8. */
export function quantizeQ8_0(values: Float32Array): Uint8Array {
    if (values.length % 32 !== 0) throw new Error(`Q8_0 needs a multiple of 32 values, got ${values.length}`);
    const blocks = values.length / 32;
    const out = new Uint8Array(blocks * 34);
    const view = new DataView(out.buffer);
    for (let b = 0; b < blocks; b++) {
        let amax = 0;
        for (let j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(values[b * 32 + j]!));
        const d = amax / 127;
        const id = d ? 1 / d : 0;
        view.setUint16(b * 34, floatToHalf(d), true);
        for (let j = 0; j < 32; j++) {
            const x = values[b * 32 + j]! * id;
            view.setInt8(b * 34 + 2 + j, Math.sign(x) * Math.round(Math.abs(x)));
        }
    }
    return out;
}

export function dequantizeQ8_0(bytes: Uint8Array, count: number): Float32Array {
    const out = new Float32Array(count);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let b = 0; b < count / 32; b++) {
        const d = halfToFloat(view.getUint16(b * 34, true));
        for (let j = 0; j < 32; j++) out[b * 32 + j] = d * view.getInt8(b * 34 + 2 + j);
    }
    return out;
}
