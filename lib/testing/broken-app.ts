// An app module that throws while it loads: a worker told to import it must answer
// `init-error` with this message, not leave its caller waiting for `ready`.
throw new Error("broken-app refuses to load (on purpose)");
