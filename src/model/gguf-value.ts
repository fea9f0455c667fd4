/** GGUF metadata values with their on-disk type, so a read file can be written back bit for bit. */
export enum GgufValueType {
    UINT8 = 0, INT8 = 1, UINT16 = 2, INT16 = 3, UINT32 = 4, INT32 = 5, FLOAT32 = 6, BOOL = 7,
    STRING = 8, ARRAY = 9, UINT64 = 10, INT64 = 11, FLOAT64 = 12
}

export type GgufScalar = string | number | bigint | boolean;
export type GgufValue =
    | {type: Exclude<GgufValueType, GgufValueType.ARRAY>, value: GgufScalar}
    | {type: GgufValueType.ARRAY, subType: Exclude<GgufValueType, GgufValueType.ARRAY>, value: readonly GgufScalar[]};

export type GgufMetadata = Record<string, GgufValue>;

export const gguf = {
    u32: (value: number): GgufValue => ({type: GgufValueType.UINT32, value}),
    i32: (value: number): GgufValue => ({type: GgufValueType.INT32, value}),
    u64: (value: number | bigint): GgufValue => ({type: GgufValueType.UINT64, value: BigInt(value)}),
    f32: (value: number): GgufValue => ({type: GgufValueType.FLOAT32, value}),
    bool: (value: boolean): GgufValue => ({type: GgufValueType.BOOL, value}),
    str: (value: string): GgufValue => ({type: GgufValueType.STRING, value}),
    strings: (value: readonly string[]): GgufValue => ({type: GgufValueType.ARRAY, subType: GgufValueType.STRING, value}),
    i32s: (value: readonly number[]): GgufValue => ({type: GgufValueType.ARRAY, subType: GgufValueType.INT32, value}),
    f32s: (value: readonly number[]): GgufValue => ({type: GgufValueType.ARRAY, subType: GgufValueType.FLOAT32, value})
};

/** The plain value of a metadata entry (numbers for 64-bit integers that fit). */
export function plainValue(v: GgufValue | undefined): unknown {
    if (v === undefined) return undefined;
    const norm = (x: GgufScalar): unknown => (typeof x === "bigint" && x <= BigInt(Number.MAX_SAFE_INTEGER) && x >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(x) : x);
    return v.type === GgufValueType.ARRAY ? v.value.map(norm) : norm(v.value);
}
