// The viewer is a thin client of the REST API: every call carries the key the user typed.
const keyName = "memledger.apiKey";

export const storedKey = () => sessionStorage.getItem(keyName);
export const storeKey = (key) => sessionStorage.setItem(keyName, key);
export const forgetKey = () => sessionStorage.removeItem(keyName);

export class ApiError extends Error {
  constructor(status, body) {
    super(body && body.message ? `${status} ${body.error}: ${body.message}` : `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

/** Calls the API with the stored key; a JSON body when given; `headers` adds e.g. x-reason. */
export async function api(path, { method = "GET", body, headers = {}, key = storedKey() } = {}) {
  const response = await fetch(path, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { "content-type": "application/json" } : {}), ...headers },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  const parsed = text === "" ? null : JSON.parse(text);
  if (!response.ok) throw new ApiError(response.status, parsed);
  return parsed;
}

/**
 * The live event feed. EventSource cannot send an Authorization header, so the
 * stream is read with fetch and parsed here (blank-line separated records of
 * `field: value` lines). Returns a function that stops it.
 */
export function followEvents(query, onEvent, onError) {
  const controller = new AbortController();
  (async () => {
    const response = await fetch(`/events${query}`, { headers: { authorization: `Bearer ${storedKey()}` }, signal: controller.signal });
    if (!response.ok) throw new ApiError(response.status, await response.json().catch(() => null));
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const record = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const fields = {};
        for (const line of record.split("\n")) {
          const colon = line.indexOf(":");
          if (colon <= 0) continue;
          const name = line.slice(0, colon);
          fields[name] = (fields[name] ? fields[name] + "\n" : "") + line.slice(colon + 1).replace(/^ /, "");
        }
        if (fields.data !== undefined) onEvent({ id: fields.id, type: fields.event, data: JSON.parse(fields.data) });
      }
    }
  })().catch((error) => {
    if (error.name !== "AbortError") onError(error);
  });
  return () => controller.abort();
}
