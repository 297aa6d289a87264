import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { api, forgetKey, storedKey, storeKey } from "./api.js";
import { ErrorBox, html } from "./html.js";
import { CubesView, CubeView } from "./views/cubes.js";
import { SearchView } from "./views/search.js";
import { MemoryView } from "./views/memory.js";
import { TimeMachineView } from "./views/timeMachine.js";
import { GraphView } from "./views/graph.js";
import { OperationsView } from "./views/operations.js";
import { GovernanceView } from "./views/governance.js";

/** Hash routes: the page never reloads, and a link can be shared (the key is not in it). */
const routes = [
  [/^#\/cubes\/([^/]+)\/time$/, (m) => html`<${TimeMachineView} cubeId=${decodeURIComponent(m[1])} />`],
  [/^#\/cubes\/([^/]+)$/, (m) => html`<${CubeView} cubeId=${decodeURIComponent(m[1])} />`],
  [/^#\/memories\/([^/]+)\/graph$/, (m) => html`<${GraphView} memoryId=${decodeURIComponent(m[1])} />`],
  [/^#\/memories\/([^/]+)$/, (m) => html`<${MemoryView} memoryId=${decodeURIComponent(m[1])} />`],
  [/^#\/search$/, () => html`<${SearchView} />`],
  [/^#\/operations$/, () => html`<${OperationsView} />`],
  [/^#\/governance$/, () => html`<${GovernanceView} />`],
  [/^/, () => html`<${CubesView} />`],
];

function useHash() {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const update = () => setHash(location.hash);
    addEventListener("hashchange", update);
    return () => removeEventListener("hashchange", update);
  }, []);
  return hash;
}

/** Asks for the API key (the bootstrap one is in <data dir>/admin.key) and checks it with GET /me. */
function Login({ onLogin }) {
  const [error, setError] = useState();
  const submit = async (event) => {
    event.preventDefault();
    const key = new FormData(event.target).get("key").trim();
    try {
      const me = await api("/me", { key });
      storeKey(key);
      onLogin(me);
    } catch (e) {
      setError(e);
    }
  };
  return html`<main>
    <h1>memledger viewer</h1>
    <form onSubmit=${submit} class="card">
      <p>Paste an API key. The first admin's key is in <code>&lt;data dir&gt;/admin.key</code>; the server's start log names the file.</p>
      <div class="row"><input name="key" type="password" size="60" placeholder="mlk.…" aria-label="API key" autofocus /><button class="primary" type="submit">Log in</button></div>
      <${ErrorBox} error=${error} />
    </form>
  </main>`;
}

function App() {
  const [me, setMe] = useState(null);
  const [checking, setChecking] = useState(storedKey() !== null);
  const hash = useHash();
  useEffect(() => {
    if (storedKey() === null) return;
    api("/me").then(setMe, () => forgetKey()).finally(() => setChecking(false));
  }, []);
  if (checking) return html`<p class="muted">Checking the key…</p>`;
  if (me === null) return html`<${Login} onLogin=${setMe} />`;
  const [match, view] = routes.map(([pattern, make]) => [pattern.exec(hash || "#/"), make]).find(([m]) => m !== null);
  const nav = (href, label) => html`<a href=${href} class=${hash.startsWith(href) ? "active" : ""}>${label}</a>`;
  const logout = () => {
    forgetKey();
    setMe(null);
  };
  return html`<div>
    <header>
      <strong>memledger</strong>
      ${nav("#/cubes", "Cubes")} ${nav("#/search", "Search")} ${nav("#/operations", "Jobs & feed")} ${nav("#/governance", "Audit & holds")}
      <span class="who">${me.principalId} (${[me.kind, ...me.roles].join(", ")}) · tenant ${me.tenantId}</span>
      <button onClick=${logout}>Log out</button>
    </header>
    <main>${view(match)}</main>
  </div>`;
}

const root = document.getElementById("root");
root.textContent = ""; // the "Loading" line, shown until this module ran
render(html`<${App} />`, root);
