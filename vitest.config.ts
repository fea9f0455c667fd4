import {defineConfig} from "vitest/config";

export default defineConfig({
    test: {
        include: ["src/**/*.test.ts", "test/**/*.test.ts"],
        // llama.cpp and ggml are native and use both cores; files in parallel would only fight over them.
        fileParallelism: false,
        testTimeout: 120_000,
        hookTimeout: 300_000,
        pool: "forks"
    }
});
