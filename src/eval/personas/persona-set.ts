import fs from "node:fs";
import path from "node:path";
import {z} from "zod";
import {readJsonl} from "../../util/jsonl.js";
import {DataFormatError, MissingFileError} from "../../util/prism-error.js";
import {BUILTIN_PERSONAS} from "./builtin-personas.js";
import {normalizeDomain, PERSONA_DOMAINS, type PersonaDomain, type PersonaLength} from "./persona-domain.js";

/** Persona texts for every domain, and where each domain's texts came from (a file path, or `"builtin"`). */
export type PersonaSet = {
    texts: Record<PersonaDomain, Record<PersonaLength, string>>,
    sources: Record<PersonaDomain, string>
};

const Texts = z.object({min: z.string().min(1), short: z.string().min(1), long: z.string().min(1)});
const JsonFile = z.record(z.string(), Texts);
const JsonlRecord = Texts.extend({domain: z.string().min(1)});

/** The hand-written set (see builtin-personas.ts). */
export function builtinPersonaSet(): PersonaSet {
    return {texts: {...BUILTIN_PERSONAS}, sources: Object.fromEntries(PERSONA_DOMAINS.map((d) => [d, "builtin"])) as Record<PersonaDomain, string>};
}

/**
 * Reads personas from a file or a bootstrap run folder (its `personas.json` or `personas.jsonl`):
 * JSON `{"<domain>": {"min": …, "short": …, "long": …}, …}` or JSONL `{"domain": …, "min": …, "short": …, "long": …}`
 * per line. Domain names may use spaces or dashes. Domains the file lacks keep the built-in texts, and `sources`
 * says which is which.
 */
export async function loadPersonaSet(source: string): Promise<PersonaSet> {
    const file = resolvePersonaFile(source);
    const set = builtinPersonaSet();
    const entries: {domain: string, texts: Record<PersonaLength, string>, line?: number}[] = [];
    if (file.endsWith(".jsonl")) {
        const records = await readJsonl(file, JsonlRecord);
        records.forEach((r, i) => entries.push({domain: r.domain, texts: {min: r.min, short: r.short, long: r.long}, line: i + 1}));
    } else {
        let parsed: unknown;
        try {
            parsed = JSON.parse(fs.readFileSync(file, "utf8"));
        } catch (err) {
            throw new DataFormatError(file, undefined, `not valid JSON (${(err as Error).message})`);
        }
        const result = JsonFile.safeParse(parsed);
        if (!result.success) {
            const issue = result.error.issues[0]!;
            throw new DataFormatError(file, undefined, `invalid personas at "${issue.path.join(".")}": ${issue.message}`,
                {hint: "expected {\"<domain>\": {\"min\": text, \"short\": text, \"long\": text}, …}"});
        }
        for (const [domain, texts] of Object.entries(result.data)) entries.push({domain, texts});
    }
    for (const entry of entries) {
        const domain = normalizeDomain(entry.domain);
        if (!domain) throw new DataFormatError(file, entry.line, `unknown persona domain "${entry.domain}"`, {hint: `domains: ${PERSONA_DOMAINS.join(", ")}`});
        set.texts[domain] = entry.texts;
        set.sources[domain] = file;
    }
    return set;
}

function resolvePersonaFile(source: string): string {
    if (!fs.existsSync(source)) throw new MissingFileError(source, "personas file");
    if (!fs.statSync(source).isDirectory()) return source;
    for (const name of ["personas.json", "personas.jsonl"]) {
        const candidate = path.join(source, name);
        if (fs.existsSync(candidate)) return candidate;
    }
    throw new MissingFileError(path.join(source, "personas.json"), "personas file", {hint: "a bootstrap run folder holds personas.json (or personas.jsonl)"});
}

/** One line for the output: which personas were used. */
export function describePersonaSet(set: PersonaSet): string {
    const bySource = new Map<string, string[]>();
    for (const d of PERSONA_DOMAINS) bySource.set(set.sources[d], [...(bySource.get(set.sources[d]) ?? []), d]);
    return [...bySource].map(([source, domains]) => `${source === "builtin" ? "built-in (hand-written)" : source}: ${domains.length === PERSONA_DOMAINS.length ? "all 12 domains" : domains.join(", ")}`).join("; ");
}
