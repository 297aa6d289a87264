import type { ChatModelPort, ChatRequest, ChatStream, StructuredAnswer, StructuredRequest, TokenUsage } from "./chatModelPort.js";
import { addUsage, noUsage } from "./tokenUsage.js";
import { ChatModelAnswerInvalid } from "./chatModelErrors.js";

/** What a job puts in its result: the model it used and what that cost. */
export interface ChatUsageReport {
  readonly model: string;
  readonly promptTokens: number;
  readonly completionTokens: number;
  /** USD; absent when no price is configured. */
  readonly costUsd?: number;
  /** HTTP calls, retries and repair rounds included. */
  readonly calls: number;
}

export interface ChatUsageMeter {
  /** Use this in place of the model: every answer (and every failure that got one) is counted. */
  readonly model: ChatModelPort;
  report(): ChatUsageReport;
}

/**
 * Wraps a ChatModelPort for one job and sums the usage of every call made
 * through it, so the job can report `{ model, promptTokens, completionTokens,
 * costUsd, calls }` in its result. A stream counts once it has ended.
 */
export function chatUsageMeter(inner: ChatModelPort): ChatUsageMeter {
  let usage: TokenUsage = noUsage;
  let calls = 0;
  let model = inner.model;
  const count = (answer: { usage: TokenUsage; calls: number; model: string }) => {
    usage = addUsage(usage, answer.usage);
    calls += answer.calls;
    if (answer.model) model = answer.model;
  };
  const metered: ChatModelPort = {
    model: inner.model,
    async complete(request: ChatRequest) {
      const answer = await inner.complete(request);
      count(answer);
      return answer;
    },
    async completeStructured<T>(request: StructuredRequest): Promise<StructuredAnswer<T>> {
      try {
        const answer = await inner.completeStructured<T>(request);
        count(answer);
        return answer;
      } catch (error) {
        // Invalid answers were still paid for.
        if (error instanceof ChatModelAnswerInvalid && error.usage !== undefined) count({ usage: error.usage, calls: error.calls ?? 0, model: error.model });
        throw error;
      }
    },
    stream(request: ChatRequest): ChatStream {
      const stream = inner.stream(request);
      const done = stream.done.then((totals) => {
        count(totals);
        return totals;
      });
      done.catch(() => undefined);
      return { done, [Symbol.asyncIterator]: () => stream[Symbol.asyncIterator]() };
    },
  };
  return {
    model: metered,
    report: () => ({ model, promptTokens: usage.promptTokens, completionTokens: usage.completionTokens, ...(usage.costUsd !== undefined ? { costUsd: usage.costUsd } : {}), calls }),
  };
}
