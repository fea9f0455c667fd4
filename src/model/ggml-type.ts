/** ggml tensor element types as numbered in ggml.h, with their block layout (elements per block, bytes per block). */
export enum GgmlType {
    F32 = 0, F16 = 1, Q4_0 = 2, Q4_1 = 3, Q5_0 = 6, Q5_1 = 7, Q8_0 = 8, Q8_1 = 9,
    Q2_K = 10, Q3_K = 11, Q4_K = 12, Q5_K = 13, Q6_K = 14, Q8_K = 15,
    IQ2_XXS = 16, IQ2_XS = 17, IQ3_XXS = 18, IQ1_S = 19, IQ4_NL = 20, IQ3_S = 21, IQ2_S = 22, IQ4_XS = 23,
    I8 = 24, I16 = 25, I32 = 26, I64 = 27, F64 = 28, IQ1_M = 29, BF16 = 30, TQ1_0 = 34, TQ2_0 = 35, MXFP4 = 39
}

const QK_K = 256;
const layouts: Partial<Record<GgmlType, readonly [blockSize: number, typeSize: number]>> = {
    [GgmlType.F32]: [1, 4], [GgmlType.F16]: [1, 2], [GgmlType.BF16]: [1, 2], [GgmlType.F64]: [1, 8],
    [GgmlType.I8]: [1, 1], [GgmlType.I16]: [1, 2], [GgmlType.I32]: [1, 4], [GgmlType.I64]: [1, 8],
    [GgmlType.Q4_0]: [32, 18], [GgmlType.Q4_1]: [32, 20], [GgmlType.Q5_0]: [32, 22], [GgmlType.Q5_1]: [32, 24],
    [GgmlType.Q8_0]: [32, 34], [GgmlType.Q8_1]: [32, 36],
    [GgmlType.Q2_K]: [QK_K, 84], [GgmlType.Q3_K]: [QK_K, 110], [GgmlType.Q4_K]: [QK_K, 144], [GgmlType.Q5_K]: [QK_K, 176],
    [GgmlType.Q6_K]: [QK_K, 210], [GgmlType.Q8_K]: [QK_K, 292],
    [GgmlType.IQ2_XXS]: [QK_K, 66], [GgmlType.IQ2_XS]: [QK_K, 74], [GgmlType.IQ3_XXS]: [QK_K, 98], [GgmlType.IQ1_S]: [QK_K, 50],
    [GgmlType.IQ4_NL]: [32, 18], [GgmlType.IQ3_S]: [QK_K, 110], [GgmlType.IQ2_S]: [QK_K, 82], [GgmlType.IQ4_XS]: [QK_K, 136],
    [GgmlType.IQ1_M]: [QK_K, 56], [GgmlType.TQ1_0]: [QK_K, 54], [GgmlType.TQ2_0]: [QK_K, 66], [GgmlType.MXFP4]: [32, 17]
};

export function ggmlTypeName(type: number): string {
    return GgmlType[type] ?? `type#${type}`;
}

export function ggmlTypeLayout(type: number): {blockSize: number, typeSize: number} {
    const layout = layouts[type as GgmlType];
    if (!layout) throw new Error(`unknown ggml type ${type}`);
    return {blockSize: layout[0], typeSize: layout[1]};
}

export function isKnownGgmlType(type: number): boolean {
    return layouts[type as GgmlType] !== undefined;
}

/** Bytes taken by a tensor of this type and shape (shape as ggml's ne: innermost dimension first). */
export function tensorSizeBytes(type: number, shape: readonly number[]): number {
    const {blockSize, typeSize} = ggmlTypeLayout(type);
    const ne0 = shape[0] ?? 1;
    if (ne0 % blockSize !== 0) throw new Error(`a ${ggmlTypeName(type)} row must be a multiple of ${blockSize} elements, got ${ne0}`);
    const rows = shape.slice(1).reduce((a, b) => a * b, 1);
    return (ne0 / blockSize) * typeSize * rows;
}

export function elementCount(shape: readonly number[]): number {
    return shape.reduce((a, b) => a * b, 1);
}
