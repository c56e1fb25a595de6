// A module whose default export looks like a server's options, without the `fetch` that would
// make it a handler.
export default { port: 3000, development: false };
