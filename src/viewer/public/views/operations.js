import { useEffect, useState } from "preact/hooks";
import { api, followEvents } from "../api.js";
import { ErrorBox, html, Loaded, useApi } from "../html.js";

/** Live memory events: GET /events read with fetch, so the key goes in the Authorization header. */
function LiveFeed() {
  const [events, setEvents] = useState([]);
  const [error, setError] = useState();
  useEffect(() => {
    let stop = () => {};
    let stopped = false;
    // Start a little before the head, so the page shows the latest events at once rather than the whole log.
    api("/read-models").then(({ readModels }) => {
      if (stopped) return;
      const head = Math.max(0, ...readModels.map((r) => r.head));
      stop = followEvents(`?after=${Math.max(0, head - 50)}`, (event) => setEvents((list) => [event, ...list].slice(0, 200)), setError);
    }, setError);
    return () => {
      stopped = true;
      stop();
    };
  }, []);
  return html`<h2>Live event feed</h2><${ErrorBox} error=${error} />
    <div class="feed" data-testid="feed">${events.length === 0 ? html`<span class="muted">waiting for events…</span>` : events.map((e) => html`<div>
      #${e.id} ${e.type} ${e.data.cubeId ?? ""} ${e.data.memoryId ?? ""} by ${e.data.actor ?? e.data.metadata?.actor ?? "?"}</div>`)}</div>`;
}

export function OperationsView() {
  const jobs = useApi("/jobs?limit=50");
  const lag = useApi("/read-models");
  return html`<h1>Jobs, read models, live feed</h1>
    <h2>Read-model lag</h2>
    <${Loaded} result=${lag}>${({ readModels }) => html`<table data-testid="read-models"><thead><tr><th>read model</th><th>checkpoint</th><th>head</th><th>behind</th><th>state</th></tr></thead>
      <tbody>${readModels.map((r) => html`<tr><td>${r.name}</td><td>${r.checkpoint}</td><td>${r.head}</td><td>${r.behind}</td>
        <td>${r.rebuilding ? "rebuilding" : r.damaged ? "damaged" : r.lastError ? r.lastError : "ok"}</td></tr>`)}</tbody></table>`}<//>
    <h2>Jobs <button onClick=${jobs.reload}>refresh</button></h2>
    <${Loaded} result=${jobs}>${({ jobs }) => (jobs.length === 0 ? html`<p class="muted">no jobs</p>` : html`<table data-testid="jobs"><thead><tr><th>job</th><th>kind</th><th>cube</th><th>status</th><th>attempts</th><th>enqueued</th><th>error</th></tr></thead>
      <tbody>${jobs.map((j) => html`<tr><td>${j.jobId.slice(0, 13)}…</td><td>${j.kind}</td><td>${j.cubeId ?? ""}</td><td>${j.status}</td><td>${j.attempts}/${j.maxAttempts}</td><td>${j.enqueuedAt}</td><td>${j.lastError ?? ""}</td></tr>`)}</tbody></table>`)}<//>
    <${LiveFeed} />`;
}
