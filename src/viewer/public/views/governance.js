import { useState } from "preact/hooks";
import { html, Loaded, useApi } from "../html.js";

/** The read audit answers per reader or per memory: who read what, or who read this. */
function ReadAudit() {
  const me = useApi("/me");
  const [filter, setFilter] = useState(null);
  const chosen = filter ?? (me.data ? { by: "principalId", id: me.data.principalId } : null);
  const reads = useApi(chosen ? `/reports/reads?${chosen.by}=${encodeURIComponent(chosen.id)}&limit=100` : null);
  const submit = (event) => {
    event.preventDefault();
    const form = new FormData(event.target);
    setFilter({ by: form.get("by"), id: form.get("id").trim() });
  };
  return html`<h2>Read audit</h2>
    <form class="row" onSubmit=${submit}>
      <select name="by" aria-label="reads by"><option value="principalId">reads by principal</option><option value="memoryId">reads of memory</option></select>
      <input name="id" aria-label="principal or memory id" placeholder=${chosen ? chosen.id : "principal or memory id"} required />
      <button type="submit">Show</button>
      ${chosen && html`<span class="muted">showing ${chosen.by === "principalId" ? "reads by" : "reads of"} ${chosen.id}</span>`}
    </form>
    ${chosen && html`<${Loaded} result=${reads}>${({ rows }) => html`<table data-testid="reads"><thead><tr><th>#</th><th>when</th><th>who</th><th>action</th><th>cubes</th><th>memories</th></tr></thead>
      <tbody>${rows.map((r) => html`<tr><td>${r.seq}</td><td>${r.at}</td><td>${r.principalId}${r.onBehalfOf ? ` for ${r.onBehalfOf}` : ""}</td><td>${r.action}</td><td>${r.cubeIds.join(", ")}</td><td>${r.memoryIds.join(", ")}</td></tr>`)}</tbody></table>`}<//>`}`;
}

/** Each section asks its own route; a role that may not read it sees the API's 403, which names what is missing. */
export function GovernanceView() {
  const erasures = useApi("/reports/erasures?limit=100");
  const pending = useApi("/erasures/pending");
  const holds = useApi("/holds?includeReleased=true");
  return html`<h1>Read audit, erasures, holds</h1>
    <${ReadAudit} />
    <h2>Erasure register</h2>
    <${Loaded} result=${erasures}>${({ rows }) => (rows.length === 0 ? html`<p class="muted">no erasures</p>` : html`<table data-testid="erasures"><thead><tr><th>when</th><th>kind</th><th>subject / memory</th><th>by</th><th>why</th><th>keys destroyed</th></tr></thead>
      <tbody>${rows.map((r) => html`<tr><td>${r.recordedAt}</td><td>${r.kind}</td><td>${r.subjectId ?? r.memoryId ?? ""}</td><td>${r.actor}</td><td>${r.reason ?? ""}</td><td>${r.destroyedKeys ?? ""}</td></tr>`)}</tbody></table>`)}<//>
    <h2>Erasures waiting on a hold</h2>
    <${Loaded} result=${pending}>${({ pending }) => (pending.length === 0 ? html`<p class="muted">none</p>` : html`<table><thead><tr><th>memory</th><th>requested</th><th>by</th><th>holds</th></tr></thead>
      <tbody>${pending.map((p) => html`<tr><td>${p.memoryId}</td><td>${p.requestedAt}</td><td>${p.requestedBy}</td><td>${p.holdIds.join(", ")}</td></tr>`)}</tbody></table>`)}<//>
    <h2>Legal holds</h2>
    <${Loaded} result=${holds}>${({ holds }) => (holds.length === 0 ? html`<p class="muted">no holds</p>` : html`<table data-testid="holds"><thead><tr><th>hold</th><th>scope</th><th>reason</th><th>placed</th><th>active</th></tr></thead>
      <tbody>${holds.map((h) => html`<tr><td>${h.holdId.slice(0, 13)}…</td><td>${h.scope.kind} ${h.scope.id}</td><td>${h.reason}</td><td>${h.placedAt} by ${h.placedBy}</td><td>${h.active ? "yes" : "released"}</td></tr>`)}</tbody></table>`)}<//>`;
}
