// A module with a handler, exported under a name nobody looks for: no default export, no `app`.
export const handler = (): Response => new Response("never reached");
export const port = 3000;
