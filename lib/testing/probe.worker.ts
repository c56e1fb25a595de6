// The probe's thread: see ./probe.ts.

import { EventLog } from "./events.ts";

declare const self: Worker;

export interface ProbeRequest {
  base: string;
  heavyPath: string;
  heavyLabel: string;
  lightPath: string;
}

export interface ProbeReport {
  /** Paths in the order their answers arrived. */
  order: string[];
  statuses: Record<string, number>;
}

self.onmessage = async (event: MessageEvent<ProbeRequest>) => {
  const { base, heavyPath, heavyLabel, lightPath } = event.data;
  const events = new EventLog();
  const order: string[] = [];
  const statuses: Record<string, number> = {};
  const send = async (path: string) => {
    const response = await fetch(new URL(path, base));
    await response.text();
    statuses[path] = response.status;
    order.push(path);
  };
  try {
    const heavy = send(heavyPath);
    await events.waitForStart(heavyLabel);
    await Promise.all([heavy, send(lightPath)]);
    self.postMessage({ order, statuses } satisfies ProbeReport);
  } finally {
    events.close();
  }
};
