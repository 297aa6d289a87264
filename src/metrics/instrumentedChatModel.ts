import { Context, Layer, Option } from "effect";
import { ChatModel, type ChatModelPort, type TokenUsage } from "../chatModel/chatModelPort.js";
import type { LedgerMetrics } from "./ledgerMetrics.js";
import type { Telemetry } from "./instrumentedPorts.js";

/** The chat model with its calls, tokens, spend and latency reported (a stream when it finishes). */
export function instrumentChatModel(port: ChatModelPort, metrics: LedgerMetrics): ChatModelPort {
  const report = (operation: string, startedAt: bigint, usage: TokenUsage | undefined) => {
    metrics.chatModelDuration.observe({ operation }, Number(process.hrtime.bigint() - startedAt) / 1e9);
    metrics.chatModelCalls.inc({ operation, outcome: usage ? "ok" : "failed" });
    if (usage === undefined) return;
    metrics.chatModelTokens.inc({ direction: "input" }, usage.promptTokens);
    metrics.chatModelTokens.inc({ direction: "output" }, usage.completionTokens);
    if (usage.costUsd !== undefined) metrics.chatModelCost.inc(usage.costUsd);
  };
  const timed = async <A extends { readonly usage: TokenUsage }>(operation: string, call: () => Promise<A>): Promise<A> => {
    const startedAt = process.hrtime.bigint();
    try {
      const answer = await call();
      report(operation, startedAt, answer.usage);
      return answer;
    } catch (error) {
      report(operation, startedAt, undefined);
      throw error;
    }
  };
  return {
    model: port.model,
    complete: (request) => timed("complete", () => port.complete(request)),
    completeStructured: (request) => timed("completeStructured", () => port.completeStructured(request)),
    stream: (request) => {
      const startedAt = process.hrtime.bigint();
      const stream = port.stream(request);
      stream.done.then(
        (answer) => report("stream", startedAt, answer.usage),
        () => report("stream", startedAt, undefined),
      );
      return stream;
    },
  };
}

/** The ChatModel service of a layer decorated, when the layer provides one. */
export function withChatModelTelemetry<ROut, E, RIn>(layer: Layer.Layer<ROut, E, RIn>, telemetry: Telemetry | undefined): Layer.Layer<ROut, E, RIn> {
  const metrics = telemetry?.metrics;
  if (metrics === undefined) return layer;
  return Layer.map(layer, (ctx) => {
    const port = Context.getOption(ctx as unknown as Context.Context<ChatModel>, ChatModel);
    return Option.isSome(port) ? (Context.add(ctx, ChatModel, instrumentChatModel(port.value, metrics)) as unknown as Context.Context<ROut>) : ctx;
  });
}
