/**
 * A Kafka job worker process for the crash test: its handler applies the job's
 * first effect, says so on stdout ("EFFECT-APPLIED <jobId> <attempt>") and then
 * hangs, so the parent can SIGKILL it in the middle of the job.
 * Usage: vite-node test/support/kafkaJobWorkerProcess.ts  (settings in the environment, see below)
 */
import { Effect } from "effect";
import { logLevel } from "kafkajs";
import { openKafkaJobBus } from "../../src/jobs/kafkaJobBus.js";
import { openJobEffects } from "./jobEffects.js";

const setting = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`kafkaJobWorkerProcess.ts needs ${name} in its environment`);
  return value;
};

const effects = openJobEffects(setting("JOB_EFFECTS_DB"));
const kind = setting("JOB_KIND");
const bus = openKafkaJobBus({
  brokers: setting("KAFKA_BROKERS").split(","),
  topicPrefix: setting("JOB_TOPIC_PREFIX"),
  groupId: setting("JOB_GROUP_ID"),
  sessionTimeoutMs: Number(setting("JOB_SESSION_TIMEOUT_MS")),
  kafkaLogLevel: logLevel.ERROR,
});
await Effect.runPromise(
  bus.startWorker({
    handlers: {
      [kind]: async (job, context) => {
        effects.recordRun(job.jobId, context.attempt, "killed worker");
        effects.applyOnce(job.jobId, "charge-card");
        process.stdout.write(`EFFECT-APPLIED ${job.jobId} ${context.attempt}\n`);
        await new Promise(() => undefined);
      },
    },
  }),
);
process.stdout.write("READY\n");
