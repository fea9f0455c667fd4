import {generateWorldTasks} from "../../world/generate-tasks.js";
import {WORLD_DOMAINS} from "../../world/planted-effects.js";
import type {WorldTask} from "../../world/world-task.js";
import type {BenchmarkSpec} from "../benchmark-spec.js";
import {roundRobin} from "./round-robin.js";

/**
 * The world benchmark's items: the held-out split (its framings never occur in the training split, see
 * generate-tasks.ts), `perDomain` per domain with tiers balanced; `limit` takes the domains in turn, so a short run
 * still covers all twelve.
 */
export function loadWorldTasks(spec: BenchmarkSpec & {kind: "world"}, limit?: number): WorldTask[] {
    const tasks = generateWorldTasks({seed: spec.seed, perDomain: spec.perDomain, split: "heldout"});
    return roundRobin(WORLD_DOMAINS.map((d) => tasks.filter((t) => t.domain === d)), limit);
}
