// A module whose default export is the fetch handler itself, a bare function.

import { threadId } from "node:worker_threads";

export default async function handle(request: Request): Promise<Response> {
  const url = new URL(request.url);
  if (url.pathname === "/thread") return Response.json({ threadId });
  if (url.pathname === "/echo") {
    const body = await request.text();
    return Response.json({ method: request.method, search: url.search, body }, { headers: { "x-kind": "function" } });
  }
  if (url.pathname === "/throw") throw new Error("the function handler threw on purpose");
  return new Response("Not Found", { status: 404 });
}
