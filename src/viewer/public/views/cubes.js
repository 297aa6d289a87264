import { useState } from "preact/hooks";
import { html, link, Loaded, Status, textOf, useApi } from "../html.js";

const statuses = ["activated", "generated", "archived", "frozen", "merged", "erased"];

export function CubesView() {
  const cubes = useApi("/cubes");
  return html`<h1>Cubes</h1>
    <${Loaded} result=${cubes}>${({ cubes }) => html`<table>
      <thead><tr><th>cube</th><th>name</th><th>owner</th><th></th></tr></thead>
      <tbody>${cubes.map((c) => html`<tr>
        <td>${link(`#/cubes/${encodeURIComponent(c.cubeId)}`, c.cubeId)}</td><td>${c.name}</td>
        <td>${c.owner ? `${c.owner.kind}:${c.owner.id}` : ""}</td>
        <td>${link(`#/cubes/${encodeURIComponent(c.cubeId)}/time`, "time machine")}</td></tr>`)}</tbody>
    </table>`}<//>`;
}

/** A cube's memories now, filtered by status (server side) and by words and tags (in the page). */
export function CubeView({ cubeId }) {
  const [chosen, setChosen] = useState(["activated", "frozen"]);
  const [words, setWords] = useState("");
  const memories = useApi(`/cubes/${encodeURIComponent(cubeId)}/memories?status=${chosen.join(",") || "activated"}`);
  const toggle = (status) => setChosen(chosen.includes(status) ? chosen.filter((s) => s !== status) : [...chosen, status]);
  const matches = (m) => words === "" || `${textOf(m)} ${(m.content?.tags ?? []).join(" ")}`.toLowerCase().includes(words.toLowerCase());
  return html`<h1>Cube ${cubeId}</h1>
    <div class="row">
      ${link(`#/cubes/${encodeURIComponent(cubeId)}/time`, "Time machine")} · ${link(`#/search?cube=${encodeURIComponent(cubeId)}`, "Search this cube")}
    </div>
    <div class="row" aria-label="filters">
      ${statuses.map((s) => html`<label><input type="checkbox" checked=${chosen.includes(s)} onChange=${() => toggle(s)} /> ${s}</label>`)}
      <input placeholder="filter by words or tag" value=${words} onInput=${(e) => setWords(e.target.value)} />
    </div>
    <${Loaded} result=${memories}>${({ memories }) => html`<table data-testid="memories">
      <thead><tr><th>memory</th><th>status</th><th>rev</th><th>text</th><th>tags</th><th>updated</th></tr></thead>
      <tbody>${memories.filter(matches).map((m) => html`<tr>
        <td>${link(`#/memories/${encodeURIComponent(m.memoryId)}`, m.memoryId.slice(0, 13) + "…")}</td>
        <td><${Status} status=${m.status} /></td><td>${m.revision}</td><td>${textOf(m)}</td>
        <td>${(m.content?.tags ?? []).join(", ")}</td><td class="muted">${m.updatedAt} by ${m.updatedBy}</td></tr>`)}</tbody>
    </table>`}<//>`;
}
