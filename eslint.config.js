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
    world: ["pipeline", "eval", "run", "gate", "forward", "train", "lora", "engine", "model", "ggml"],
    pipeline: ["run", "gate", "forward", "train", "lora", "engine", "model", "ggml"],
    eval: ["run", "gate", "forward", "train", "lora", "engine", "model", "ggml"],
    serve: ["run", "gate", "forward", "train", "lora", "engine", "model", "ggml"],
    run: ["gate", "forward", "train", "lora", "engine", "model", "ggml"],
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
