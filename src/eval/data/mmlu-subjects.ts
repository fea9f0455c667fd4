/**
 * MMLU's 57 subjects in four categories: STEM, humanities, social sciences and other, as lm-evaluation-harness tags
 * them (lm_eval/tasks/mmlu/default/mmlu_<subject>.yaml "tag") and as the PRISM authors' DOMAIN_MAP does
 * (prism/eval/eval_mmlu.py:28-57): both put anatomy in STEM, where Hendrycks' categories.py has it under "other".
 */
export type MmluCategory = "stem" | "humanities" | "social_sciences" | "other";

export const MMLU_CATEGORIES: readonly MmluCategory[] = ["stem", "humanities", "social_sciences", "other"];

const table: Record<MmluCategory, readonly string[]> = {
    stem: [
        "abstract_algebra", "anatomy", "astronomy", "college_biology", "college_chemistry", "college_computer_science", "college_mathematics",
        "college_physics", "computer_security", "conceptual_physics", "electrical_engineering", "elementary_mathematics",
        "high_school_biology", "high_school_chemistry", "high_school_computer_science", "high_school_mathematics",
        "high_school_physics", "high_school_statistics", "machine_learning"
    ],
    humanities: [
        "formal_logic", "high_school_european_history", "high_school_us_history", "high_school_world_history", "international_law",
        "jurisprudence", "logical_fallacies", "moral_disputes", "moral_scenarios", "philosophy", "prehistory", "professional_law",
        "world_religions"
    ],
    social_sciences: [
        "econometrics", "high_school_geography", "high_school_government_and_politics", "high_school_macroeconomics",
        "high_school_microeconomics", "high_school_psychology", "human_sexuality", "professional_psychology", "public_relations",
        "security_studies", "sociology", "us_foreign_policy"
    ],
    other: [
        "business_ethics", "clinical_knowledge", "college_medicine", "global_facts", "human_aging", "management", "marketing",
        "medical_genetics", "miscellaneous", "nutrition", "professional_accounting", "professional_medicine", "virology"
    ]
};

const bySubject = new Map<string, MmluCategory>(
    (Object.entries(table) as [MmluCategory, readonly string[]][]).flatMap(([category, subjects]) => subjects.map((s) => [s, category] as const))
);

/** The category of a subject; a subject outside the standard 57 (a user's own file) counts as "other". */
export function mmluCategoryOf(subject: string): MmluCategory {
    return bySubject.get(subject) ?? "other";
}

export const MMLU_SUBJECTS: readonly string[] = [...bySubject.keys()].sort();
