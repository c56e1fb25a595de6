// Step 02: a server whose app runs in a worker.
//
// The main thread now only moves data: it turns each `Request` into plain data, posts it to
// the worker and turns the answer back into a `Response`. Waiting for the worker is an
// `await`, not a computation, so the event loop stays free for other connections.
//
// `/health` is answered right here, on the main thread, without asking the worker. It
// reports whether the *server* is alive and responsive, which is exactly what a load
// balancer needs to know, and it must not queue behind the app's heavy work.

import { toRequestData, toResponse } from "#lib/http.ts";
import type { RunningServer } from "#lib/running-server.ts";
import { AppWorker } from "./app-worker.ts";

export interface ServerOptions {
  /** The app module the worker imports (a URL or absolute path). */
  appModule: string;
  /** 0 asks the operating system for any free port. */
  port?: number;
}

export async function handleInWorker(worker: AppWorker, request: Request): Promise<Response> {
  if (request.method === "GET" && new URL(request.url).pathname === "/health") return new Response("ok");
  return toResponse(await worker.request(await toRequestData(request)));
}

export async function startServer({ appModule, port = 0 }: ServerOptions): Promise<RunningServer> {
  const worker = await AppWorker.start(appModule);
  try {
    const server = Bun.serve({ port, fetch: (request) => handleInWorker(worker, request) });
    return {
      url: server.url,
      port: server.port ?? port,
      // Stop accepting first, then end the worker: in that order no request can reach a dead worker.
      stop: async () => {
        await server.stop(true);
        worker.terminate();
      },
    };
  } catch (error) {
    worker.terminate(); // e.g. the port is taken: do not leave the thread behind.
    throw error;
  }
}
