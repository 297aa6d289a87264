import { useState } from "preact/hooks";
import { api } from "../api.js";
import { ErrorBox, html, link, Loaded, Status, textOf, useApi } from "../html.js";

/** Why a result matched: rank and score from each retriever that found it, as POST /search gives them. */
/** Three significant digits: BM25 scores of weak matches are far below 0.001. */
const figure = (x) => (Math.abs(x) >= 1000 ? x.toFixed(0) : Number(x.toPrecision(3)).toString());

export function Why({ why }) {
  const parts = [];
  if (why.vector) parts.push(`vector #${why.vector.rank} similarity ${figure(why.vector.similarity)}`);
  if (why.bm25) parts.push(`bm25 #${why.bm25.rank} score ${figure(why.bm25.score)}`);
  if (why.graph) parts.push(`graph #${why.graph.rank} score ${figure(why.graph.score)}${why.graph.via?.length ? ` via ${why.graph.via.join(", ")}` : ""}`);
  if (why.fused !== undefined) parts.push(`fused ${figure(why.fused)}`);
  if (why.rerank) parts.push(`rerank ${JSON.stringify(why.rerank)}`);
  return html`<div class="why" data-testid="why">${parts.map((p) => html`<span>${p}</span>`)}</div>`;
}

export function SearchView() {
  const preset = new URLSearchParams(location.hash.split("?")[1] ?? "").get("cube");
  const cubes = useApi("/cubes");
  const [answer, setAnswer] = useState(null);
  const [error, setError] = useState();
  const submit = async (event) => {
    event.preventDefault();
    const form = new FormData(event.target);
    const tags = form.get("tags").split(",").map((t) => t.trim()).filter((t) => t !== "");
    setError(undefined);
    try {
      setAnswer(await api("/search", {
        method: "POST",
        body: {
          query: form.get("query"),
          cubeIds: form.getAll("cubeIds"),
          topK: Number(form.get("topK")),
          ...(form.get("mode") !== "default" ? { mode: form.get("mode") } : {}),
          ...(tags.length > 0 ? { filters: { tags } } : {}),
          ...(form.get("includeArchived") ? { includeArchived: true } : {}),
        },
      }));
    } catch (e) {
      setError(e);
    }
  };
  return html`<h1>Search</h1>
    <${Loaded} result=${cubes}>${({ cubes }) => html`<form class="card" onSubmit=${submit}>
      <div class="row"><input name="query" size="50" placeholder="what are you looking for?" aria-label="query" required />
        <select name="mode" aria-label="mode"><option value="default">default mode</option><option>hybrid</option><option>bm25</option><option>vector</option></select>
        <label>top <input name="topK" type="number" min="1" max="100" value="10" style="width:4rem" /></label>
        <button class="primary" type="submit">Search</button></div>
      <div class="row">cubes: ${cubes.map((c) => html`<label><input type="checkbox" name="cubeIds" value=${c.cubeId} checked=${preset === null || preset === c.cubeId} /> ${c.cubeId}</label>`)}</div>
      <div class="row"><input name="tags" placeholder="tags (any of), comma separated" /> <label><input type="checkbox" name="includeArchived" /> include archived</label></div>
    </form>`}<//>
    <${ErrorBox} error=${error} />
    ${answer && html`<p class="muted">mode ${answer.mode}${answer.behind ? `, read models ${answer.behind} events behind` : ""}${answer.degraded ? `, degraded: ${answer.degraded.map((d) => d.readModel).join(", ")}` : ""}</p>
      <table data-testid="results"><thead><tr><th>#</th><th>score</th><th>memory</th><th>why it matched</th></tr></thead>
      <tbody>${answer.results.map((r, i) => html`<tr>
        <td>${i + 1}</td><td>${figure(r.score)}</td>
        <td>${link(`#/memories/${encodeURIComponent(r.memory.memoryId)}`, textOf(r.memory))} <${Status} status=${r.memory.status} /></td>
        <td><${Why} why=${r.why} /></td></tr>`)}</tbody></table>`}`;
}
