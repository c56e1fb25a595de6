// WRONG: when `Bun.serve` throws (a busy port), the pool it started is never closed, so its threads keep the process alive.
import { toRequestData, toResponse } from "#lib/http.ts";
import type { RunningServer } from "#lib/running-server.ts";
import { WorkerPool } from "./pool.ts";

export interface ServerOptions {
  appModule: string;
  port?: number;
  workers?: number;
}

export async function handleInPool(pool: WorkerPool, request: Request): Promise<Response> {
  if (request.method === "GET" && new URL(request.url).pathname === "/health") return new Response("ok");
  return toResponse(await pool.run(await toRequestData(request)));
}

export async function startServer({
  appModule,
  port = 0,
  workers = navigator.hardwareConcurrency,
}: ServerOptions): Promise<RunningServer> {
  const pool = await WorkerPool.create({ appModule, size: workers });
  const server = Bun.serve({ port, fetch: (request) => handleInPool(pool, request) });
  return {
    url: server.url,
    port: server.port ?? port,
    stop: async () => {
      await server.stop(true);
      await pool.close();
    },
  };
}
