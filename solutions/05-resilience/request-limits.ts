// Step 05: the checks a request passes on the main thread, before it costs a worker anything.
//
// The app already answers bad parameters (400), unknown routes (404) and wrong methods (405)
// inside the worker. Two things must be stopped earlier: a body too large to copy to another
// thread (413: reading it at all is the cost), and a path whose percent-encoding is broken
// (`/fibonacci/%zz`), which the router cannot decode. Either way the client gets a clear 4xx
// and no worker is involved.

import { text, type AppResponse, type RequestData } from "#lib/app.ts";
import { toRequestData } from "#lib/http.ts";

/** The request as data, or the 4xx that refuses it. */
export async function readRequest(request: Request, maxBodyBytes: number): Promise<RequestData | AppResponse> {
  // The declared length lets us refuse before reading a byte; a chunked body has none, so
  // its real size is checked below as well.
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > maxBodyBytes) return tooLarge(maxBodyBytes);
  const data = await toRequestData(request);
  if (Buffer.byteLength(data.body) > maxBodyBytes) return tooLarge(maxBodyBytes);
  try {
    decodeURIComponent(data.path);
  } catch {
    return text(`Bad Request: the path ${data.path} is not valid percent-encoding`, 400);
  }
  return data;
}

function tooLarge(limit: number): AppResponse {
  return text(`Payload Too Large: the body may be at most ${limit} bytes`, 413);
}

export function isResponse(value: RequestData | AppResponse): value is AppResponse {
  return "status" in value;
}
