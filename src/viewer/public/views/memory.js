import { useState } from "preact/hooks";
import { api } from "../api.js";
import { ErrorBox, html, link, Loaded, Status, textOf, useApi } from "../html.js";

const show = (value) => (value === undefined ? "—" : typeof value === "string" ? value : JSON.stringify(value));

/** The difference between two revisions: changed fields and the text, word by word. */
function Diff({ memoryId, from, to }) {
  const diff = useApi(`/memories/${encodeURIComponent(memoryId)}/diff?from=${from}&to=${to}`);
  return html`<div class="card" data-testid="diff"><h2>Revision ${from} → ${to}</h2>
    <${Loaded} result=${diff}>${(d) => html`
      ${d.changes.length === 0 ? html`<p class="muted">no changes</p>` : html`<table><thead><tr><th>field</th><th>before</th><th>after</th></tr></thead>
        <tbody>${d.changes.map((c) => html`<tr><td>${c.field}</td><td>${show(c.before)}</td><td>${show(c.after)}</td></tr>`)}</tbody></table>`}
      ${d.contentUnavailable ? html`<p class="muted">the content was erased</p>` : d.textDiff && html`<p data-testid="text-diff">${d.textDiff.map((part) =>
        part.op === "equal" ? part.text : html`<span class=${`diff-${part.op}`}>${part.text}</span>`)}</p>`}`}<//></div>`;
}

/** Asks for confirmation and the reason (recorded as x-reason on the revert event) before reverting. */
function RevertDialog({ memory, toRevision, onDone, onCancel }) {
  const [error, setError] = useState();
  const submit = async (event) => {
    event.preventDefault();
    const reason = new FormData(event.target).get("reason").trim();
    try {
      await api(`/memories/${encodeURIComponent(memory.memoryId)}/revert`, {
        method: "POST",
        body: { toRevision, expectedRevision: memory.revision },
        headers: { "x-reason": reason },
      });
      onDone();
    } catch (e) {
      setError(e);
    }
  };
  return html`<dialog open data-testid="revert-dialog"><form onSubmit=${submit}>
    <p>Revert memory <code>${memory.memoryId}</code> from revision ${memory.revision} to the content of revision <strong>${toRevision}</strong>? A new revision records it; nothing is deleted.</p>
    <p><label>Why? <input name="reason" required size="40" aria-label="reason" /></label></p>
    <${ErrorBox} error=${error} />
    <div class="row"><button class="primary" type="submit">Confirm revert</button><button type="button" onClick=${onCancel}>Cancel</button></div>
  </form></dialog>`;
}

export function MemoryView({ memoryId }) {
  const path = `/memories/${encodeURIComponent(memoryId)}`;
  const memory = useApi(path);
  const history = useApi(`${path}/history`);
  const [picked, setPicked] = useState([]);
  const [reverting, setReverting] = useState(null);
  const pick = (revision) => setPicked(picked.includes(revision) ? picked.filter((r) => r !== revision) : [...picked, revision].slice(-2));
  const [from, to] = [...picked].sort((a, b) => a - b);
  const reload = () => {
    setReverting(null);
    memory.reload();
    history.reload();
  };
  return html`<${Loaded} result=${memory}>${(m) => html`
    <h1>Memory <code>${m.memoryId}</code></h1>
    <div class="card">
      <p data-testid="memory-text">${textOf(m)}</p>
      <p><${Status} status=${m.status} /> revision <strong data-testid="revision">${m.revision}</strong>, version ${m.version} · cube ${link(`#/cubes/${encodeURIComponent(m.cubeId)}`, m.cubeId)}
        · ${link(`#/memories/${encodeURIComponent(m.memoryId)}/graph`, "graph")}</p>
      <p class="muted">tags ${(m.content?.tags ?? []).join(", ") || "none"} · created ${m.createdAt} by ${m.createdBy} · updated ${m.updatedAt} by ${m.updatedBy}</p>
    </div>
    <h2>Timeline</h2>
    <p class="muted">Tick two revisions to compare them.</p>
    <${Loaded} result=${history}>${({ entries }) => html`<table data-testid="timeline">
      <thead><tr><th></th><th>rev</th><th>when</th><th>who</th><th>what</th><th>why</th><th></th></tr></thead>
      <tbody>${entries.map((e) => html`<tr data-revision=${e.revision}>
        <td><input type="checkbox" aria-label=${`compare revision ${e.revision}`} checked=${picked.includes(e.revision)} onChange=${() => pick(e.revision)} /></td>
        <td>${e.revision}</td><td>${e.recordedAt}</td><td>${e.actor}${e.onBehalfOf ? ` for ${e.onBehalfOf}` : ""}</td>
        <td>${e.type} → ${e.statusAfter} v${e.versionAfter}${e.changedFields ? ` (${e.changedFields.join(", ")})` : ""}${e.revertedTo !== undefined ? ` (to revision ${e.revertedTo})` : ""}</td>
        <td>${e.reason ?? ""}</td>
        <td>${e.revision < m.revision && html`<button onClick=${() => setReverting(e.revision)}>Revert to ${e.revision}</button>`}</td></tr>`)}</tbody>
    </table>`}<//>
    ${picked.length === 2 && html`<${Diff} memoryId=${m.memoryId} from=${from} to=${to} />`}
    ${reverting !== null && html`<${RevertDialog} memory=${m} toRevision=${reverting} onDone=${reload} onCancel=${() => setReverting(null)} />`}`}<//>`;
}
