import {getLlama, LlamaLogLevel, resolveChatWrapper} from "node-llama-cpp";
import type {ChatTokenizer} from "../model/chat-tokenizer.js";
import {GgufFile} from "../model/gguf-file.js";
import {InvalidModelFileError} from "../model/invalid-model-file-error.js";
import {LlamaChatTokenizer} from "./llama-chat-tokenizer.js";

export type LoadedChatTokenizer = ChatTokenizer & {dispose(): Promise<void>};

/**
 * The ChatTokenizer the llama engine uses for a model, loaded vocabulary-only (no weights): the trainer tokenizes
 * its data with it, so training sees exactly the tokens inference will.
 */
export async function loadChatTokenizer(modelPath: string): Promise<LoadedChatTokenizer> {
    const file = await GgufFile.open(modelPath);
    if (file.fileType === "adapter") throw new InvalidModelFileError(modelPath, "this is a LoRA adapter, not a model", {hint: "pass the base model with --model"});
    // The Llama is not disposed here: node-llama-cpp shares its native bindings between instances and releases them at exit.
    const llama = await getLlama({gpu: false, build: "never", logLevel: LlamaLogLevel.error});
    const model = await llama.loadModel({modelPath, vocabOnly: true}).catch((err: unknown) => {
        throw new InvalidModelFileError(modelPath, `llama.cpp could not load it: ${(err as Error).message}`, {cause: err});
    });
    const chatWrapper = resolveChatWrapper(model);
    if (!chatWrapper) {
        await model.dispose();
        throw new InvalidModelFileError(modelPath, "node-llama-cpp found no chat template for this model", {hint: "use a chat (instruct) model, whose GGUF has tokenizer.chat_template"});
    }
    const tokenizer = new LlamaChatTokenizer(model, chatWrapper);
    return Object.assign(tokenizer, {dispose: () => model.dispose()});
}
