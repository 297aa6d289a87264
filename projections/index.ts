export * from "./envelope.js";
export * from "./asOf.js";
export * from "./memoryView.js";
export * from "./memoryHistory.js";
export * from "./memoryDiff.js";
