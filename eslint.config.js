// Lint, including the layering rule: data flows CLI -> pipeline/eval/serve -> world -> prompts/gate -> train -> lora/engine -> model/ggml.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

/** Which prism folders each folder may import (besides itself and src/util, the bottom layer). */
const allowed = {
    cli: ["*"],
    // The planted world (tasks, planted effects, checkers, corpus) renders prism's prompts from src/prompts and sits
    // below eval, which runs its held-out tasks (`prism eval --bench world`).
    pipeline: ["prompts", "gate", "train", "lora", "engine", "model", "ggml"],
    eval: ["world", "prompts", "gate", "train", "lora", "engine", "model", "ggml"],
    world: ["prompts", "gate", "train", "lora", "engine", "model", "ggml"],
    // What prism asks models, word for word (the pipeline's prompts, the anchors' judge prompts and refusal keywords)
    // and the domains and persona lengths they name: shared by the pipeline, the eval and the world.
    prompts: ["engine", "model"],
    serve: ["prompts", "gate", "train", "lora", "engine", "model", "ggml"],
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
