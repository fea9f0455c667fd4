import fs from "node:fs";
import {CsvError, parse} from "csv-parse/sync";
import {DataFormatError, MissingFileError} from "../../util/prism-error.js";

/** One CSV row with the 1-based line it starts on (a quoted field may span several lines). */
export type CsvRow = {line: number, fields: string[]};

/**
 * Reads a CSV file into rows of strings. A byte-order mark is dropped, quoted fields may hold commas and newlines.
 * Every row must have `expectedFields` fields when given; a row that does not is an error naming the file and line.
 */
export function readCsvRows(filePath: string, options: {expectedFields?: number, what?: string} = {}): CsvRow[] {
    if (!fs.existsSync(filePath)) throw new MissingFileError(filePath, options.what ?? "CSV file");
    const text = fs.readFileSync(filePath, "utf8");
    let parsed: {record: string[], info: {lines: number}, raw: string}[];
    try {
        parsed = parse(text, {bom: true, info: true, raw: true, relax_column_count: true, skip_empty_lines: true}) as unknown as typeof parsed;
    } catch (err) {
        if (err instanceof CsvError) {
            const line = (err as CsvError & {lines?: number}).lines;
            throw new DataFormatError(filePath, line, `not valid CSV (${err.message})`, {hint: "check the quoting near this line"});
        }
        throw err;
    }
    return parsed.map(({record, info, raw}) => {
        // info.lines is the line the record ends on; count back over the newlines inside it.
        const inner = raw.replace(/\r?\n$/, "").split("\n").length - 1;
        const line = info.lines - inner;
        if (options.expectedFields !== undefined && record.length !== options.expectedFields)
            throw new DataFormatError(filePath, line, `expected ${options.expectedFields} fields, found ${record.length}`, {hint: "quote fields that contain commas"});
        return {line, fields: record};
    });
}

export type CsvTable = {columns: string[], rows: {line: number, get(column: string): string}[]};

/** Rows as objects keyed by the header row, which must contain `required` (compared case-insensitively). */
export function readCsvTable(filePath: string, required: readonly string[], options: {what?: string} = {}): CsvTable {
    const rows = readCsvRows(filePath, options);
    const header = rows[0];
    if (!header) throw new DataFormatError(filePath, 1, "the file is empty", {hint: `expected a header with ${required.join(", ")}`});
    const index = new Map(header.fields.map((name, i) => [name.trim().toLowerCase(), i]));
    const missing = required.filter((c) => !index.has(c.toLowerCase()));
    if (missing.length > 0)
        throw new DataFormatError(filePath, 1, `the header lacks column${missing.length > 1 ? "s" : ""} ${missing.join(", ")} (found: ${header.fields.join(", ")})`);
    const columns = [...index.keys()];
    return {
        columns, rows: rows.slice(1).map(({line, fields}) => {
            if (fields.length !== header.fields.length)
                throw new DataFormatError(filePath, line, `expected ${header.fields.length} fields as in the header, found ${fields.length}`, {hint: "quote fields that contain commas"});
            return {line, get: (column: string) => fields[index.get(column.toLowerCase()) ?? -1] ?? ""};
        })
    };
}
