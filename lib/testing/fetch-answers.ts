// Answers as tests compare them in step 08: "the same app gives the same answer on the main
// thread and through the pool". What must be equal: the status, every header the app set
// (each `set-cookie` on its own) and the body's bytes. What may differ: the headers the HTTP
// server writes itself (`date`, and how the body is framed: `content-length` for a body read
// whole, `transfer-encoding: chunked` for one still streaming), and the host and port, since
// the two servers listen on different ports.

/** Headers written by the HTTP server, not by the app. */
export const SERVER_HEADERS = ["date", "content-length", "transfer-encoding"];

export interface Snapshot {
  status: number;
  /** "name: value", by name (repeats of one name in the order the response lists them), server headers left out. */
  headers: string[];
  /** How many bytes the body has. */
  bytes: number;
  /** The body as text when it is text (with the server's host replaced by `<host>`), else as base64. */
  body: string;
}

/** Reads `response` whole. `host` (e.g. `localhost:41234`) is replaced by `<host>` in text and headers. */
export async function snapshot(response: Response, host: string): Promise<Snapshot> {
  const bytes = new Uint8Array(await response.arrayBuffer());
  const type = response.headers.get("content-type") ?? "";
  const isText = /^text\/|json/.test(type);
  const normalize = (value: string) => value.replaceAll(host, "<host>");
  return {
    status: response.status,
    headers: [...response.headers]
      .filter(([name]) => !SERVER_HEADERS.includes(name))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)) // a stable sort: set-cookies keep their order
      .map(([name, value]) => `${name}: ${normalize(value)}`),
    bytes: bytes.length,
    body: isText ? normalize(new TextDecoder().decode(bytes)) : Buffer.from(bytes).toString("base64"),
  };
}
