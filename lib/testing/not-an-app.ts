// A module that exports an `app`, but not one made with `new App()`: a worker that only checks
// that `app` exists would take it, and fail on the first request instead of at `init`.
export const app = { name: "not an App", routes: ["/health"] };
