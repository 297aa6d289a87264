import cliProgress from "cli-progress";

/**
 * Progress of a long command, shared by every one of them: a bar redrawn in
 * place on a terminal (cli-progress), plain lines otherwise (a log, CI, a pipe),
 * where a redrawn bar would be noise. Always on stderr, so stdout stays the result.
 */

export interface Progress {
  /** `done` of `total` units; `label` says what is being worked on (a file, a read model). */
  update(done: number, total: number, label?: string, unit?: string): void;
  /** Ends the bar (or prints the last line) with an optional summary line. */
  stop(summary?: string): void;
}

export interface ProgressOptions {
  /** Where plain lines go (the CLI's stderr writer). */
  readonly err: (s: string) => void;
  /** A terminal: draw a bar on process.stderr. Default: whether stderr is a TTY. */
  readonly interactive?: boolean;
  /** What a unit is called in the lines ("events", "pages", "files"); an update may name its own. */
  readonly unit: string;
  /** Plain lines: at most one per this many ms, besides the first and last of each label (default 1,000). */
  readonly minIntervalMs?: number;
  readonly now?: () => number;
}

export function startProgress(title: string, options: ProgressOptions): Progress {
  return (options.interactive ?? process.stderr.isTTY === true) ? barProgress(title, options) : lineProgress(title, options);
}

function lineProgress(title: string, options: ProgressOptions): Progress {
  const now = options.now ?? (() => performance.now());
  const interval = options.minIntervalMs ?? 1_000;
  let lastAt = Number.NEGATIVE_INFINITY;
  let lastLabel: string | undefined;
  let lastLine = "";
  return {
    update(done, total, label, unit = options.unit) {
      const t = now();
      const finished = done >= total;
      if (label === lastLabel && !finished && t - lastAt < interval) return;
      const line = `${title}${label !== undefined ? ` ${label}` : ""}: ${done.toLocaleString("en")} of ${total.toLocaleString("en")}${unit ? ` ${unit}` : ""} (${percent(done, total)}%)`;
      // A finished label reported twice (once by a step, once at the end) is one line.
      if (line === lastLine) return;
      options.err(`${line}\n`);
      lastAt = t;
      lastLabel = label;
      lastLine = line;
    },
    stop(summary) {
      if (summary !== undefined) options.err(`${summary}\n`);
    },
  };
}

function barProgress(title: string, options: ProgressOptions): Progress {
  const bar = new cliProgress.SingleBar(
    {
      format: `${title} [{bar}] {percentage}% | {value}/{total} {unit} | {label}`,
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: false,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(done, total, label, unit = options.unit) {
      const payload = { label: label ?? "", unit };
      if (!started) {
        bar.start(total, done, payload);
        started = true;
      } else bar.setTotal(total);
      bar.update(done, payload);
    },
    stop(summary) {
      if (started) bar.stop();
      if (summary !== undefined) options.err(`${summary}\n`);
    },
  };
}

const percent = (done: number, total: number) => (total > 0 ? Math.floor((100 * Math.min(done, total)) / total) : 100);
