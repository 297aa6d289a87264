import { useEffect, useState } from "preact/hooks";
import { api } from "../api.js";
import { ErrorBox, html, link, Status, textOf, useApi } from "../html.js";

/**
 * The moments the cube changed: every event of its memories (position and
 * time). One paged call to the change report where the key may read it
 * (`report.read`); else each memory's history, listed from every status so a
 * unit archived or erased since still counts.
 */
async function momentsOf(cubeId) {
  try {
    return await momentsFromChangeReport(cubeId);
  } catch (error) {
    if (error.status !== 403) throw error;
  }
  return momentsFromHistories(cubeId);
}

async function momentsFromChangeReport(cubeId) {
  const moments = [];
  let after = null;
  do {
    const page = await api(`/reports/changes?cubeId=${encodeURIComponent(cubeId)}&limit=1000${after !== null ? `&after=${encodeURIComponent(after)}` : ""}`);
    for (const row of page.rows) if (row.memoryId !== undefined) moments.push({ position: row.position, at: row.recordedAt, memoryId: row.memoryId, type: row.type });
    after = page.next ?? null;
  } while (after !== null);
  return moments.sort((a, b) => a.position - b.position);
}

async function momentsFromHistories(cubeId) {
  const { memories } = await api(`/cubes/${encodeURIComponent(cubeId)}/memories?status=generated,activated,merged,archived,frozen,erased`);
  const histories = await Promise.all(memories.map((m) => api(`/memories/${encodeURIComponent(m.memoryId)}/history`)));
  const moments = histories.flatMap((h) => h.entries.map((e) => ({ position: e.position, at: e.recordedAt, memoryId: h.memoryId, type: e.type })));
  return moments.sort((a, b) => a.position - b.position);
}

/** A slider over the cube's history; the table shows the cube as of the chosen moment, and a branch can start there. */
export function TimeMachineView({ cubeId }) {
  const [moments, setMoments] = useState(null);
  const [index, setIndex] = useState(0);
  const [error, setError] = useState();
  const [branched, setBranched] = useState(null);
  useEffect(() => {
    momentsOf(cubeId).then((m) => {
      setMoments(m);
      setIndex(m.length - 1);
    }, setError);
  }, [cubeId]);
  const moment = moments?.[index];
  const asOfPath = moment ? `/cubes/${encodeURIComponent(cubeId)}/memories?asOfPosition=${moment.position}` : null;
  const asOf = useApi(asOfPath);
  const branch = async () => {
    const name = prompt("Name of the new cube branched from this moment", `${cubeId} as of ${moment.at}`);
    if (name === null) return;
    try {
      setBranched(await api(`/cubes/${encodeURIComponent(cubeId)}/branch`, { method: "POST", body: { asOf: moment.at, name } }));
    } catch (e) {
      setError(e);
    }
  };
  return html`<h1>Time machine: ${link(`#/cubes/${encodeURIComponent(cubeId)}`, cubeId)}</h1>
    <${ErrorBox} error=${error} />
    ${moments === null ? html`<p class="muted">Reading the cube's history…</p>` : moments.length === 0 ? html`<p>The cube has no memories yet.</p>` : html`
      <div class="card">
        <input type="range" min="0" max=${moments.length - 1} value=${index} aria-label="moment" onInput=${(e) => setIndex(Number(e.target.value))} />
        <p data-testid="moment">As of log position <strong>${moment.position}</strong>, ${moment.at} (${moment.type} of ${moment.memoryId.slice(0, 13)}…) · moment ${index + 1} of ${moments.length}</p>
        <div class="row"><button onClick=${branch}>Branch a new cube from here</button>
          ${branched && html`<span>branched: ${link(`#/cubes/${encodeURIComponent(branched.cube.cubeId)}`, branched.cube.cubeId)}</span>`}</div>
      </div>
      ${asOf.error ? html`<${ErrorBox} error=${asOf.error} />` : asOf.data === undefined || asOf.path !== asOfPath ? html`<p class="muted">Loading…</p>` : html`
        <table data-testid="as-of"><thead><tr><th>memory</th><th>status</th><th>rev</th><th>text</th></tr></thead>
        <tbody>${asOf.data.memories.map((m) => html`<tr>
          <td>${link(`#/memories/${encodeURIComponent(m.memoryId)}`, m.memoryId.slice(0, 13) + "…")}</td><td><${Status} status=${m.status} /></td><td>${m.revision}</td><td>${textOf(m)}</td></tr>`)}</tbody></table>`}`}`;
}
