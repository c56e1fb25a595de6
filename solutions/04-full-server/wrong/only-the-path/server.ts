// WRONG (the blog's sketch): only the path crosses to the worker and only the body comes back, so method, query, headers, body and status are lost.
import type { RunningServer } from "#lib/running-server.ts";
import { WorkerPool } from "./pool.ts";

export interface ServerOptions {
  appModule: string;
  port?: number;
  workers?: number;
}

export async function handleInPool(pool: WorkerPool, request: Request): Promise<Response> {
  if (request.method === "GET" && new URL(request.url).pathname === "/health") return new Response("ok");
  const path = new URL(request.url).pathname;
  const response = await pool.run({ method: "GET", path, query: {}, headers: {}, body: "" });
  return new Response(response.body);
}

export async function startServer({
  appModule,
  port = 0,
  workers = navigator.hardwareConcurrency,
}: ServerOptions): Promise<RunningServer> {
  const pool = await WorkerPool.create({ appModule, size: workers });
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
