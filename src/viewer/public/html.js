import { h } from "preact";
import { useCallback, useEffect, useState } from "preact/hooks";
import htm from "htm";
import { api } from "./api.js";

/** JSX-like templates without a build step. */
export const html = htm.bind(h);

/** Loads `path` (again whenever it changes, or on `reload()`): { data, error, path (what data is for), reload }. */
export function useApi(path) {
  const [state, setState] = useState({ data: undefined, error: undefined });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    if (path === null) return;
    let live = true;
    setState({ data: undefined, error: undefined });
    api(path).then(
      (data) => live && setState({ data, error: undefined, path }),
      (error) => live && setState({ data: undefined, error, path }),
    );
    return () => {
      live = false;
    };
  }, [path, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, reload };
}

export const ErrorBox = ({ error }) => (error ? html`<div class="error" role="alert">${error.message}</div>` : null);

/** The states of a load: an error, "loading", or the content. */
export function Loaded({ result, children }) {
  if (result.error) return html`<${ErrorBox} error=${result.error} />`;
  if (result.data === undefined) return html`<p class="muted">Loading…</p>`;
  return children(result.data);
}

export const Status = ({ status }) => html`<span class="status" data-status=${status}>${status}</span>`;
export const textOf = (memory) => (memory.content === null ? "(erased)" : memory.content.text);
export const link = (hash, label) => html`<a href=${hash}>${label}</a>`;
