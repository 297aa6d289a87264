import type { TokenUsage } from "./chatModelPort.js";

/** USD per million tokens, as providers publish their prices. */
export interface ChatModelPrices {
  readonly inputPerMillion: number;
  readonly outputPerMillion: number;
}

export const noUsage: TokenUsage = { promptTokens: 0, completionTokens: 0 };

/** The usage of one call, costed when prices are configured (absent cost: no price, not free). */
export function pricedUsage(promptTokens: number, completionTokens: number, prices: ChatModelPrices | undefined): TokenUsage {
  const usage = { promptTokens, completionTokens };
  if (prices === undefined) return usage;
  return { ...usage, costUsd: (promptTokens * prices.inputPerMillion + completionTokens * prices.outputPerMillion) / 1_000_000 };
}

/** Sums two usages; the cost stays absent unless one of them has one. */
export function addUsage(a: TokenUsage, b: TokenUsage): TokenUsage {
  const sum = { promptTokens: a.promptTokens + b.promptTokens, completionTokens: a.completionTokens + b.completionTokens };
  if (a.costUsd === undefined && b.costUsd === undefined) return sum;
  return { ...sum, costUsd: (a.costUsd ?? 0) + (b.costUsd ?? 0) };
}
