// The worker of bench/round-trip-parts.ts, section 4: it posts every message straight back,
// as it came. It does no work of its own, so a round trip through it costs only the trip:
// copying the message there and back (structured clone), and each thread noticing that a
// message has arrived (waking up, if it had nothing else to do).

declare const self: Worker;

self.onmessage = (event: MessageEvent) => self.postMessage(event.data);
