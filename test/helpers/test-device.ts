import type {GgmlDeviceChoice} from "../../src/ggml/ggml-backend.js";
import {availableGpuBackends} from "../../src/ggml/ggml-libraries.js";

const CHOICES = ["cpu", "cuda", "vulkan", "gpu"] as const;
export type TestDevice = {device: Exclude<GgmlDeviceChoice, "auto">, label: string} | {device: undefined, skipReason: string};

/**
 * The ggml device `npm run test:gpu` runs on: PRISM_TEST_DEVICE (cpu, cuda, vulkan or gpu) when set, so the GPU
 * checks can be proven on any machine with `PRISM_TEST_DEVICE=cpu`; otherwise the first GPU backend node-llama-cpp
 * can load here (CUDA before Vulkan), or none, with the reason the tests are skipped.
 */
export async function testDevice(): Promise<TestDevice> {
    const asked = process.env.PRISM_TEST_DEVICE;
    if (asked) {
        if (!(CHOICES as readonly string[]).includes(asked))
            throw new Error(`PRISM_TEST_DEVICE=${asked}: expected one of ${CHOICES.join(", ")}`);
        return {device: asked as (typeof CHOICES)[number], label: `${asked} (PRISM_TEST_DEVICE)`};
    }
    const [gpu] = await availableGpuBackends();
    return gpu
        ? {device: gpu, label: gpu}
        : {device: undefined, skipReason: "no CUDA or Vulkan build of node-llama-cpp loads on this machine (`npx node-llama-cpp inspect gpu`); PRISM_TEST_DEVICE=cpu runs these checks on the CPU backend"};
}

