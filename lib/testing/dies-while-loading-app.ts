// An app module whose loading never ends, and whose worker dies meanwhile: an error thrown
// from a timer escapes everything, so the worker cannot answer `init` at all. Its caller hears
// of it only through the Worker's `error` event.

setTimeout(() => {
  throw new Error("dies-while-loading-app: an uncaught error while loading (on purpose)");
}, 0);
await new Promise<never>(() => {});

export const app = undefined;
