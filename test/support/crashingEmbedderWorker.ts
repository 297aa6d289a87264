/**
 * A stand-in for onnxEmbedderWorker.ts for the crash tests: the real worker, except that
 * the text "crash the worker" kills the thread and "hang the worker" makes it loop forever.
 */
import { parentPort } from "node:worker_threads";

parentPort!.on("message", (request: { texts?: readonly string[] }) => {
  if (request.texts?.includes("crash the worker")) process.exit(70);
  if (request.texts?.includes("hang the worker")) for (;;);
});
await import("../../src/embedding/onnxEmbedderWorker.js");
