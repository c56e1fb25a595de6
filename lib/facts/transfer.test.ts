// What a transfer list does to an ArrayBuffer, checked on the pinned Bun. Step 08 hands large
// bodies over this way (solutions/08-your-own-app/wire.ts, TRANSFER_THRESHOLD_BYTES), and the
// chapter shows what the sender is left with.
//
//   docs/08 "without a transfer list, postMessage copies: the sender keeps its bytes"
//   docs/08 "with one, the buffer changes thread: the sender's ArrayBuffer has byteLength 0 and
//            `detached` true, and a view on it has length 0"
//   docs/08 "the receiver gets every byte"
//   docs/08 "a detached buffer cannot be posted again: DataCloneError"
//   docs/08 "the same holds from a worker to the main thread"
//   steps/08, wire.ts "a stream cannot cross": posting a ReadableStream throws DataCloneError

import { afterAll, describe, expect, test } from "bun:test";
import { within } from "../testing/bounded.ts";

// A worker that reports what it received and, on request, sends a buffer of its own back in
// its transfer list, reporting what its own copy looks like afterwards.
const source = `self.onmessage = (e) => {
  const m = e.data;
  if (m.sendBack) {
    const buffer = new Uint8Array(m.sendBack).map((_, i) => i % 256).buffer;
    self.postMessage({ buffer }, [buffer]);
    self.postMessage({ afterSending: { byteLength: buffer.byteLength, detached: buffer.detached } });
    return;
  }
  const bytes = new Uint8Array(m.buffer);
  self.postMessage({ byteLength: bytes.length, sum: bytes.reduce((a, b) => a + b, 0) });
};`;
const worker = new Worker(URL.createObjectURL(new Blob([source], { type: "application/javascript" })));
afterAll(() => worker.terminate());

/** The worker's next `count` messages, in order. */
function messages(count: number): Promise<unknown[]> {
  const seen: unknown[] = [];
  return within(
    new Promise<unknown[]>((resolve) => {
      const listener = (e: MessageEvent) => {
        seen.push(e.data);
        if (seen.length < count) return;
        worker.removeEventListener("message", listener);
        resolve(seen);
      };
      worker.addEventListener("message", listener);
    }),
    "the worker's answer",
  );
}
const next = async <T>(): Promise<T> => (await messages(1))[0] as T;

const filled = (size: number) => new Uint8Array(size).map((_, i) => i % 256).buffer;
const sumOf = (size: number) => Array.from({ length: size }, (_, i) => i % 256).reduce((a, b) => a + b, 0);

describe("a transfer list hands an ArrayBuffer over", () => {
  test("without one, postMessage copies: the sender keeps its bytes", async () => {
    const buffer = filled(1024);
    const seen = next<{ byteLength: number; sum: number }>();
    worker.postMessage({ buffer });
    expect(buffer.byteLength).toBe(1024);
    expect(buffer.detached).toBe(false);
    expect(await seen).toEqual({ byteLength: 1024, sum: sumOf(1024) });
  });

  test("with one, the sender is left with an empty, detached buffer; the receiver gets every byte", async () => {
    const buffer = filled(64 * 1024);
    const view = new Uint8Array(buffer);
    const seen = next<{ byteLength: number; sum: number }>();
    worker.postMessage({ buffer }, [buffer]);
    expect({ byteLength: buffer.byteLength, detached: buffer.detached, viewLength: view.length }).toEqual({ byteLength: 0, detached: true, viewLength: 0 });
    expect(await seen).toEqual({ byteLength: 64 * 1024, sum: sumOf(64 * 1024) });
  });

  test("a detached buffer cannot be posted again: DataCloneError", async () => {
    const buffer = filled(16);
    const answered = next(); // the answer to the first post
    worker.postMessage({ buffer }, [buffer]);
    expect(() => worker.postMessage({ buffer }, [buffer])).toThrow(expect.objectContaining({ name: "DataCloneError" }));
    expect(() => worker.postMessage({ buffer })).toThrow(expect.objectContaining({ name: "DataCloneError" }));
    await answered;
  });

  test("the same from a worker to the main thread: the worker's buffer is left detached", async () => {
    const received = messages(2);
    worker.postMessage({ sendBack: 1000 });
    const [{ buffer }, after] = (await received) as [{ buffer: ArrayBuffer }, { afterSending: { byteLength: number; detached: boolean } }];
    expect(buffer.byteLength).toBe(1000);
    expect(new Uint8Array(buffer)[999]).toBe(999 % 256);
    expect(after.afterSending).toEqual({ byteLength: 0, detached: true });
  });
});

describe("what cannot cross at all", () => {
  test("a ReadableStream (a streamed body) cannot be posted: DataCloneError", () => {
    const stream = new ReadableStream({ start: (controller) => controller.close() });
    expect(() => worker.postMessage({ body: stream })).toThrow(expect.objectContaining({ name: "DataCloneError" }));
  });
});
