// The probe asks a route the main thread answers: /health up to step 07, the server's own
// /_pool/live from step 08 on (where /health is the app's, and goes through the pool).
import { expect, test } from "bun:test";
import { healthPathFor } from "./tool.ts";

test("steps 01-07 are probed on /health, step 08 and later on /_pool/live", () => {
  for (const id of ["01", "04", "07"]) expect(healthPathFor(id), `step ${id}`).toBe("/health");
  for (const id of ["08", "09"]) expect(healthPathFor(id), `step ${id}`).toBe("/_pool/live");
});
