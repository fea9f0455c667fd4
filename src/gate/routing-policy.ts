import type {ConversationMessage} from "../model/chat-tokenizer.js";

/**
 * When the gate decides. `"first-turn"` (the paper's): once per conversation, on its first user turn, and that
 * decision holds for every later turn. `"per-turn"`: on each request, on the conversation up to its latest user turn.
 */
export type RoutingPolicy = "first-turn" | "per-turn";

/**
 * The prompt the gate scores for a request: the messages up to and including the first user message (first-turn)
 * or the last one (per-turn); system messages before it stay, since they are part of the prompt the model sees.
 * Deriving the first turn from the messages themselves makes first-turn routing stateless: a client resending the
 * whole conversation gets the same decision every turn, with no session store. `reused` says the decision belongs
 * to an earlier turn than the one being answered. Without a user message the whole prompt is scored.
 */
export function decisionPrompt(messages: readonly ConversationMessage[], policy: RoutingPolicy): {messages: readonly ConversationMessage[], reused: boolean} {
    const users = messages.flatMap((m, i) => (m.role === "user" ? [i] : []));
    if (users.length === 0) return {messages, reused: false};
    const end = policy === "first-turn" ? users[0]! : users.at(-1)!;
    return {messages: messages.slice(0, end + 1), reused: policy === "first-turn" && users.length > 1};
}
