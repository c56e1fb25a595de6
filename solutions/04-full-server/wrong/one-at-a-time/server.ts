// WRONG: requests wait in one line (each awaits the one before), so a pool of N workers serves one request at a time.
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
  // "One at a time, to be safe": every request waits until the previous one has been answered.
  let previous: Promise<unknown> = Promise.resolve();
  const inLine = (request: Request): Promise<Response> => {
    const answer = previous.then(() => handleInPool(pool, request));
    previous = answer.catch(() => undefined);
    return answer;
  };
  try {
    const server = Bun.serve({ port, fetch: inLine });
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
