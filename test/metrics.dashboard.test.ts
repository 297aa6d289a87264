import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { LedgerMetrics } from "../src/metrics/ledgerMetrics.js";

/** docs/grafana/memledger.json queries only series the server exposes (a renamed metric breaks this, not the dashboard at 3 a.m.). */
describe("the Grafana dashboard", () => {
  it("every series a panel queries is one LedgerMetrics exposes", async () => {
    const dashboard = JSON.parse(readFileSync(new URL("../docs/grafana/memledger.json", import.meta.url), "utf8")) as { panels: { title: string; targets: { expr: string }[] }[] };
    const exposed = new Set<string>();
    for (const metric of await new LedgerMetrics().registry.getMetricsAsJSON()) {
      exposed.add(metric.name);
      if (String(metric.type) === "histogram") for (const suffix of ["_bucket", "_count", "_sum"]) exposed.add(metric.name + suffix);
    }
    const queried = dashboard.panels.flatMap((p) => p.targets.flatMap((t) => [...t.expr.matchAll(/\bmemledger_[a-z0-9_]+/g)].map((m) => ({ panel: p.title, name: m[0] }))));
    expect(queried.length).toBeGreaterThan(15);
    expect(queried.filter((q) => !exposed.has(q.name))).toEqual([]);
  });
});
