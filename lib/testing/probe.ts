// The probe: a client on its own thread, for testing a server that may block the test's thread.
//
// In step 01 the server runs on the test's own thread, so while a heavy handler runs, the
// test itself is frozen and cannot even notice that the handler has started. The probe
// runs the client side in a Worker instead: it sends the heavy request, waits for the
// handler's "started" event, sends the light request, and reports which answered first.

import type { ProbeReport, ProbeRequest } from "./probe.worker.ts";

export type { ProbeReport } from "./probe.worker.ts";

/**
 * Sends `heavy` (a route that announces `heavyLabel` when it starts), then, once it has
 * started, sends `light`. Resolves with the paths in the order their answers arrived.
 */
export function lightAfterHeavyStarted(
  base: URL | string,
  heavy: { path: string; label: string },
  light: string,
): Promise<ProbeReport> {
  const worker = new Worker(new URL("./probe.worker.ts", import.meta.url).href);
  return new Promise<ProbeReport>((resolve, reject) => {
    worker.onmessage = (event: MessageEvent<ProbeReport>) => resolve(event.data);
    worker.onerror = (event) => reject(new Error(`probe worker failed: ${event.message}`));
    const request: ProbeRequest = { base: String(base), heavyPath: heavy.path, heavyLabel: heavy.label, lightPath: light };
    worker.postMessage(request);
  }).finally(() => worker.terminate());
}
