import cytoscape from "cytoscape";
import { useEffect, useRef, useState } from "preact/hooks";
import { html, link, Loaded, useApi } from "../html.js";

const colours = { memory: "#2856c8", entity: "#d97706", cube: "#6b7280", tag: "#059669", user: "#7c3aed", agent: "#db2777", source: "#0891b2" };

/** The graph read model around a memory (entities it mentions, merges, derivations), drawn with cytoscape. */
export function GraphView({ memoryId }) {
  const [hops, setHops] = useState(2);
  const graph = useApi(`/memories/${encodeURIComponent(memoryId)}/graph?hops=${hops}`);
  const box = useRef(null);
  const [selected, setSelected] = useState(null);
  useEffect(() => {
    if (!graph.data || !box.current) return;
    const cy = cytoscape({
      container: box.current,
      elements: [
        ...graph.data.nodes.map((n) => ({ data: { id: n.id, label: n.kind === "memory" ? `memory ${n.label.length > 18 ? `${n.label.slice(0, 18)}…` : n.label}` : n.label, kind: n.kind, depth: n.depth } })),
        ...graph.data.edges.map((e, i) => ({ data: { id: `e${i}`, source: e.src, target: e.dst, label: e.type } })),
      ],
      style: [
        { selector: "node", style: { label: "data(label)", "font-size": 10, "background-color": (n) => colours[n.data("kind")] ?? "#999", width: 18, height: 18 } },
        { selector: `node[id = "memory:${memoryId}"]`, style: { width: 30, height: 30, "border-width": 3, "border-color": "#111" } },
        { selector: "edge", style: { label: "data(label)", "font-size": 8, width: 1.5, "curve-style": "bezier", "target-arrow-shape": "triangle", "line-color": "#aab", "target-arrow-color": "#aab", color: "#667" } },
      ],
      layout: { name: "cose", animate: false },
    });
    cy.on("tap", "node", (event) => setSelected(event.target.data()));
    window.__viewerGraph = cy; // lets the browser test read what was drawn
    return () => cy.destroy();
  }, [graph.data]);
  return html`<h1>Graph around ${link(`#/memories/${encodeURIComponent(memoryId)}`, memoryId)}</h1>
    <div class="row"><label>hops <select value=${hops} onChange=${(e) => setHops(Number(e.target.value))}>${[1, 2, 3].map((h) => html`<option value=${h}>${h}</option>`)}</select></label>
      <span class="muted">${Object.entries(colours).map(([kind, colour]) => html`<span style=${`color:${colour}`}>● ${kind} </span>`)}</span></div>
    <${Loaded} result=${graph}>${(g) => html`<p class="muted" data-testid="graph-summary">${g.nodes.length} nodes, ${g.edges.length} edges${g.truncated ? " (cut short)" : ""}</p>`}<//>
    <div id="graph" ref=${box}></div>
    ${selected && html`<p data-testid="selected-node">${selected.kind} ${selected.id} (${selected.depth} hops away)
      ${selected.kind === "memory" ? html` · ${link(`#/memories/${encodeURIComponent(selected.id.slice("memory:".length))}`, "open")}` : ""}</p>`}`;
}
