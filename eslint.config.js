// Lint, including the layering rule: data flows CLI -> pipeline/eval/serve -> gate -> train -> lora/engine -> model/ggml.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

/** Which prism folders each folder may import (besides itself and src/util, the bottom layer). */
const allowed = {
    cli: ["*"],
    // The planted world renders its corpus through the pipeline's and the evaluation's own prompt builders, so for now it
    // sits above both (nothing below may import it); README.md "Layout" says where it should move.
    world: ["pipeline", "eval", "gate", "train", "lora", "engine", "model", "ggml"],
    pipeline: ["gate", "train", "lora", "engine", "model", "ggml"],
    eval: ["gate", "train", "lora", "engine", "model", "ggml"],
    serve: ["gate", "train", "lora", "engine", "model", "ggml"],
    gate: ["train", "lora", "engine", "model", "ggml"],
    train: ["lora", "model", "ggml"],
    lora: ["model"],
    engine: ["model"],
    model: [],
    ggml: [],
    util: []
};
const folders = Object.keys(allowed);

/** One config block per folder: relative imports that climb into a folder it may not use are errors. */
const layerBlocks = Object.entries(allowed).filter(([, ok]) => !ok.includes("*")).map(([target, ok]) => {
    const banned = folders.filter((f) => f !== target && f !== "util" && !ok.includes(f));
    return {
        files: [`src/${target}/**/*.ts`],
        rules: {
            "no-restricted-imports": ["error", {
                patterns: [
                    ...(banned.length ? [{regex: `^(\\.\\./)+(${banned.join("|")})(/|$)`, message: `src/${target} must not import these folders (see STYLE.md: dependencies point down): ${banned.join(", ")}`}] : []),
                    {regex: "^(\\.\\./)+index(\\.js)?$", message: "library code must not import the public entry point"}
                ]
            }]
        }
    };
});

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
    ...layerBlocks,
    {
        files: ["**/*.js", "**/*.mjs"],
        languageOptions: {globals: {process: "readonly", console: "readonly"}}
    }
);
