/**
 * A Server-Sent Events reader after the WHATWG "event stream interpretation":
 * lines end in CRLF, LF or CR; `data` lines join with LF; a blank line
 * dispatches; comments (`:`) and unknown fields are ignored.
 */
export interface SseMessage {
  /** `message` when the server named no type. */
  readonly event: string;
  readonly data: string;
  /** The `id` field of this message, when it had one. */
  readonly id?: string;
}

export class SseParser {
  private buffer = "";
  /** A CR ended the previous chunk, so an LF starting the next one belongs to it. */
  private pendingCr = false;
  private event = "";
  private data: string[] = [];
  private id: string | undefined;
  /** The last `retry:` hint in milliseconds, if the server sent one. */
  retryMs: number | undefined;

  /** Feeds decoded text; returns the messages completed by it. */
  push(text: string): SseMessage[] {
    if (this.pendingCr && text.startsWith("\n")) text = text.slice(1);
    this.pendingCr = false;
    this.buffer += text;
    const messages: SseMessage[] = [];
    let start = 0;
    for (let i = 0; i < this.buffer.length; i += 1) {
      const ch = this.buffer[i];
      if (ch !== "\n" && ch !== "\r") continue;
      const message = this.line(this.buffer.slice(start, i));
      if (message) messages.push(message);
      if (ch === "\r") {
        if (i + 1 === this.buffer.length) this.pendingCr = true;
        else if (this.buffer[i + 1] === "\n") i += 1;
      }
      start = i + 1;
    }
    this.buffer = this.buffer.slice(start);
    return messages;
  }

  private line(line: string): SseMessage | undefined {
    if (line === "") return this.dispatch();
    if (line.startsWith(":")) return undefined;
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") this.event = value;
    else if (field === "data") this.data.push(value);
    else if (field === "id" && !value.includes("\0")) this.id = value;
    else if (field === "retry" && /^\d+$/.test(value)) this.retryMs = Number(value);
    return undefined;
  }

  private dispatch(): SseMessage | undefined {
    const message: SseMessage | undefined =
      this.data.length === 0 ? undefined : { event: this.event || "message", data: this.data.join("\n"), ...(this.id !== undefined ? { id: this.id } : {}) };
    this.event = "";
    this.data = [];
    this.id = undefined;
    return message;
  }
}
