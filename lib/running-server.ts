// What every step's `startServer` gives back: where it listens and how to stop it.

export interface RunningServer {
  /** e.g. http://localhost:41234/ */
  readonly url: URL;
  readonly port: number;
  /** Stops accepting connections and releases everything the server started (workers too). */
  stop(): Promise<void>;
}
