// Lint, including the layering rule: data flows CLI -> pipeline/eval/serve -> gate -> train -> lora/engine -> model/ggml.
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import importX from "eslint-plugin-import-x";

/** Which prism folders each folder may import (besides itself and src/util, the bottom layer). */
const allowed = {
    cli: ["*"],
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
const zones = [];
for (const [target, ok] of Object.entries(allowed)) {
    if (ok.includes("*")) continue;
    for (const from of folders) {
        if (from === target || from === "util" || ok.includes(from)) continue;
        zones.push({target: `./src/${target}`, from: `./src/${from}`, message: `src/${target} must not import src/${from} (see STYLE.md: dependencies point down).`});
    }
    zones.push({target: `./src/${target}`, from: "./src/index.ts", message: "library code must not import the public entry point"});
}

export default tseslint.config(
    {ignores: ["dist/", "node_modules/", "coverage/", ".cache/", "runs/", ".scratch/"]},
    js.configs.recommended,
    ...tseslint.configs.recommended,
    {
        plugins: {"import-x": importX},
        rules: {
            "import-x/no-restricted-paths": ["error", {zones}],
            "@typescript-eslint/no-unused-vars": ["error", {argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrorsIgnorePattern: "^_"}],
            "@typescript-eslint/consistent-type-imports": ["error", {fixStyle: "inline-type-imports"}],
            "no-constant-condition": ["error", {checkLoops: false}],
            "eqeqeq": ["error", "smart"],
            "prefer-const": "error"
        }
    },
    {
        files: ["**/*.js", "**/*.mjs"],
        languageOptions: {globals: {process: "readonly", console: "readonly"}}
    }
);
