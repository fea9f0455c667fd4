import {mmluCategoryOf} from "../data/mmlu-subjects.js";
import {normalizeDomain, type PersonaDomain} from "./persona-domain.js";

/**
 * Which persona domain matches an evaluation category:
 * - MT-Bench: each of the eight categories has its own domain (writing → writing, …, humanities → humanities).
 * - MMLU: STEM → stem and humanities → humanities; social sciences → humanities (the humanities persona covers
 *   history, society and human behaviour, the nearest of the twelve); other → stem (8 of its 14 subjects are
 *   health and medicine, which the science persona covers; the rest are business and general facts, which no
 *   expert persona covers well).
 * - Safety sets (any name): safety_monitor.
 * - World tasks: their own domain ("safety monitor" → safety_monitor).
 */
export function domainForCategory(benchmark: "mmlu" | "mt-bench" | "safety" | "world", category: string): PersonaDomain {
    if (benchmark === "safety") return "safety_monitor";
    if (benchmark === "world") {
        const domain = normalizeDomain(category);
        if (!domain) throw new RangeError(`"${category}" is not one of the world's domains`);
        return domain;
    }
    if (benchmark === "mt-bench") return normalizeDomain(category) ?? "helpful";
    switch (category) {
        case "stem": case "other": return "stem";
        case "humanities": case "social_sciences": return "humanities";
        default: return domainForCategory("mmlu", mmluCategoryOf(category));
    }
}
