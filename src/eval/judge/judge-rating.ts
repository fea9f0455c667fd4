/** A parsed judge verdict: the rating, or null with the reason it could not be read (the output is kept either way). */
export type JudgeRating = {rating: number, error?: undefined} | {rating: null, error: string};

const PATTERNS = [/\[\[\s*(\d+(?:\.\d+)?)\s*\]\]/g, /\[\s*(\d+(?:\.\d+)?)\s*\]/g, /rating\s*[:=]?\s*(\d+(?:\.\d+)?)/gi];

/**
 * Reads a 1–10 rating from an MT-Bench judge's output. FastChat's format is `[[7]]`; like FastChat we fall back to
 * `[7]`, and then to `Rating: 7`. The last match wins, because weak judges often echo the prompt's example
 * ("Rating: [[5]]") before giving their own. Anything else, or a number outside 1–10, is a parse failure: the
 * caller records it and leaves the item out of the mean rather than guessing a score.
 */
export function parseJudgeRating(text: string): JudgeRating {
    for (const pattern of PATTERNS) {
        const matches = [...text.matchAll(pattern)];
        const last = matches.at(-1);
        if (!last) continue;
        const rating = Number(last[1]);
        if (rating < 1 || rating > 10) return {rating: null, error: `rating ${last[1]} is outside 1-10`};
        return {rating};
    }
    return {rating: null, error: text.trim() === "" ? "the judge output is empty" : "no [[rating]] in the judge output"};
}
