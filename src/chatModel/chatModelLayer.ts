import { Effect, Layer } from "effect";
import { ChatModel, type ChatModelPort } from "./chatModelPort.js";
import type { ChatModelConfig } from "./chatModelConfig.js";

/**
 * The ChatModel service when a model is configured (a config, or a port built
 * by the caller: a test's fake, the in-process llama.cpp model), and nothing
 * otherwise: what needs a model asks `Effect.serviceOption(ChatModel)` and
 * fails with ChatModelNotConfigured when it is absent.
 */
export function layerChatModel(chatModel: ChatModelConfig | ChatModelPort | undefined): Layer.Layer<ChatModel> | Layer.Layer<never> {
  if (chatModel === undefined) return Layer.empty;
  return layerConfiguredChatModel(chatModel);
}

/** The ChatModel service from a config or a ready port. */
export function layerConfiguredChatModel(chatModel: ChatModelConfig | ChatModelPort): Layer.Layer<ChatModel> {
  if (isPort(chatModel)) return Layer.succeed(ChatModel, chatModel);
  const config = chatModel;
  return Layer.effect(
    ChatModel,
    Effect.promise(async () =>
      (await import("./openAiChatModel.js")).openAiChatModel({
        baseURL: config.baseURL,
        model: config.model,
        ...(config.apiKey !== undefined ? { apiKey: config.apiKey } : {}),
        ...(config.timeoutMs !== undefined ? { timeoutMs: config.timeoutMs } : {}),
        ...(config.prices !== undefined ? { prices: config.prices } : {}),
      }),
    ),
  );
}

function isPort(value: ChatModelConfig | ChatModelPort): value is ChatModelPort {
  return typeof (value as ChatModelPort).complete === "function";
}
