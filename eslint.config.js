// Lint, including the layering rule (eslint-rules/layers.js): ARCHITECTURE.md's table of which src/ folder may import which.
import js from "@eslint/js";
import path from "node:path";
import {fileURLToPath} from "node:url";
import tseslint from "typescript-eslint";
import prism from "./eslint-rules/layers.js";

/**
 * Which prism folders each src/ folder may import, besides itself and src/util (the bottom layer). This is
 * ARCHITECTURE.md's table, word for word (test/layering-lint.test.ts compares them); change both together.
 */
const layers = {
    cli: ["*"],
    // What prism asks models, word for word (the pipeline's prompts, the anchors' judge prompts and refusal keywords)
    // and the domains and persona lengths they name: shared by the pipeline, the eval and the planted world.
    pipeline: ["prompts", "run", "gate", "forward", "train", "lora", "engine", "model", "ggml"],
    eval: ["world", "prompts", "run", "gate", "forward", "train", "lora", "engine", "model", "ggml"],
    serve: ["prompts", "run", "gate", "forward", "train", "lora", "engine", "model", "ggml"],
    // The planted world renders prism's prompts from src/prompts and sits below eval, which runs its held-out tasks.
    world: ["prompts", "gate", "forward", "train", "lora", "engine", "model", "ggml"],
    run: ["gate", "forward", "train", "lora", "engine", "model", "ggml"],
    prompts: ["engine", "model"],
    gate: ["forward", "train", "lora", "engine", "model", "ggml"],
    forward: ["train", "lora", "model", "ggml"],
    train: ["lora", "model", "ggml"],
    lora: ["model"],
    engine: ["model"],
    model: [],
    ggml: [],
    util: []
};

export default tseslint.config(
    {ignores: ["dist/", "node_modules/", "coverage/", ".cache/", "runs/", ".scratch/"]},
    js.configs.recommended,
    ...tseslint.configs.recommended,
    {
        rules: {
            "@typescript-eslint/no-unused-vars": ["error", {argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrorsIgnorePattern: "^_"}],
            "@typescript-eslint/consistent-type-imports": ["error", {fixStyle: "inline-type-imports"}],
            "no-constant-condition": ["error", {checkLoops: false}],
            "eqeqeq": ["error", "smart"],
            "prefer-const": "error"
        }
    },
    {
        files: ["src/**/*.ts"],
        plugins: {prism},
        rules: {"prism/layers": ["error", {root: path.dirname(fileURLToPath(import.meta.url)), packageName: "prism-persona", layers}]}
    },
    {
        files: ["**/*.js", "**/*.mjs"],
        languageOptions: {globals: {process: "readonly", console: "readonly"}}
    }
);
