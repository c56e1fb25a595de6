// WRONG: /health goes through the pool like any request, so it queues behind the heavy work it should report on.
import { toRequestData, toResponse } from "#lib/http.ts";
import type { RunningServer } from "#lib/running-server.ts";
import { WorkerPool } from "./pool.ts";

export interface ServerOptions {
  appModule: string;
  port?: number;
  workers?: number;
}

export async function handleInPool(pool: WorkerPool, request: Request): Promise<Response> {
  // The app has a /health route too, so this "works": it only answers once a worker is free.
  return toResponse(await pool.run(await toRequestData(request)));
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
