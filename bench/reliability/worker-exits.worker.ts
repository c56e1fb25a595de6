// The worker for worker-exits.ts: it dies (or not) in the way the main thread asks.
declare const self: Worker;

self.onmessage = (event: MessageEvent) => {
  const how = event.data as string;
  if (how === "process.exit(1)") process.exit(1);
  if (how === "process.exit(0)") process.exit(0);
  if (how === "uncaught error") {
    setTimeout(() => {
      throw new Error("uncaught on purpose");
    }, 0);
  }
  if (how === "unhandled rejection") void Promise.reject(new Error("rejected on purpose"));
  if (how === "endless loop, then terminate()") {
    self.postMessage("looping");
    for (;;) {}
  }
};
self.postMessage("ready");
