// WRONG: the `workers` option is accepted but never passed to the pool, which always gets one worker per core.
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

export async function startServer({ appModule, port = 0 }: ServerOptions): Promise<RunningServer> {
  const pool = await WorkerPool.create({ appModule });
  try {
    const server = Bun.serve({ port, fetch: (request) => handleInPool(pool, request) });
    return {
      url: server.url,
      port: server.port ?? port,
      stop: async () => {
        await server.stop(true);
        await pool.close();
      },
    };
  } catch (error) {
    await pool.close();
    throw error;
  }
}
