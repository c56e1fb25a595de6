// The two shapes that travel between the HTTP server and the app, and later between threads.
// Plain objects of strings only: `postMessage` copies them with the structured clone
// algorithm, which cannot copy a `Request`, a `Response` or a function.

/** An HTTP request reduced to data. */
export interface RequestData {
  method: string;
  /** The URL's path, still percent-encoded, e.g. `/fibonacci/30`. */
  path: string;
  /** The query string's parameters; a repeated key keeps its last value. */
  query: Record<string, string>;
  /** Header names in lower case. */
  headers: Record<string, string>;
  /** The body as text; `""` when there is none. */
  body: string;
}

/** An HTTP response reduced to data. */
export interface AppResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  /**
   * For a 500: the error the handler threw, as plain data. An `Error` posted between threads
   * keeps its message and stack but arrives as a plain `Error`: its subclass and own fields
   * (an `HttpError`'s `status`) are lost. Plain data says exactly what crosses. For the
   * server's logs; never sent to the client.
   */
  error?: { message: string; stack?: string };
}
