import { describe, expect, test } from "bun:test";
import {
  canCountNoise,
  descendants,
  isNoisy,
  NOISE_FLAG_CORES,
  noiseBetween,
  noiseText,
  parsePidStat,
  parseProcStat,
  mainThreadCpuMs,
  processCpuMs,
  splitTrees,
  worstNoise,
  type CpuSample,
  type Noise,
  type ProcessTicks,
} from "./noise.ts";

// /proc/stat's first line: user nice system idle iowait irq softirq steal guest guest_nice.
const procStat = (user: number, system: number, idle: number, steal = 0, guest = 0) =>
  `cpu  ${user} 0 ${system} ${idle} 3 1 2 ${steal} ${guest} 0\ncpu0 1 2 3 4 5 6 7 8 9 10\nintr 12345\n`;

// /proc/<pid>/stat: pid (comm) state ppid … utime(14) stime(15) cutime(16) cstime(17) …
const pidStat = (pid: number, comm: string, ppid: number, utime: number, stime: number, cutime = 0, cstime = 0) =>
  `${pid} (${comm}) S ${ppid} ${pid} ${pid} 0 -1 4194560 100 0 0 0 ${utime} ${stime} ${cutime} ${cstime} 20 0 4 0 1000 300000000 5000 18446744073709551615`;

describe("parsing /proc", () => {
  test("the machine's busy time is user+nice+system+irq+softirq+steal; guest is already inside user", () => {
    const t = parseProcStat(procStat(1000, 200, 5000, 30, 400));
    expect(t.busy, "busy = 1000 user + 0 nice + 200 system + 1 irq + 2 softirq + 30 steal").toBe(1233);
    expect(t.irq, "irq + softirq").toBe(3);
    expect(t.steal).toBe(30);
  });
  test("a process line whose command has spaces and parentheses still parses", () => {
    const p = parsePidStat(pidStat(42, "bun (worker) x", 7, 150, 50, 20, 5));
    expect(p).toEqual({ pid: 42, ppid: 7, ticks: 225 });
  });
  test("a garbled line is ignored, not counted as zero", () => {
    expect(parsePidStat("nonsense")).toBeUndefined();
  });
  // Computes on this thread until `read` moves (the kernel's counters tick every 10 ms of CPU),
  // for at most 5 s: a bound, not a timing.
  function computeUntilMoved(read: () => number | undefined): { before?: number; after?: number } {
    const before = read();
    let after = before;
    let sink = 0;
    const giveUpAt = performance.now() + 5000;
    while (after === before && performance.now() < giveUpAt) {
      for (let i = 0; i < 1e6; i++) sink += i % 7;
      after = read();
    }
    expect(sink).toBeGreaterThan(0);
    return { before, after };
  }
  test.skipIf(!canCountNoise())("a live process's CPU time, in ms, grows as it computes; a process that is gone has none", () => {
    const { before, after } = computeUntilMoved(() => processCpuMs(process.pid));
    expect(before, "this test's own process can be read").toBeNumber();
    expect(after ?? 0, "the CPU time grew while this process computed (waited at most 5 s)").toBeGreaterThan(before ?? 0);
    expect(processCpuMs(2 ** 22 + 12345), "no process has this pid").toBeUndefined();
  });
  test.skipIf(!canCountNoise())("the main thread's CPU time grows as this thread computes, is part of the process's, and a gone process has none", () => {
    const { before, after } = computeUntilMoved(() => mainThreadCpuMs(process.pid));
    expect(before, "this test's own main thread can be read").toBeNumber();
    expect(after ?? 0, "the main thread's CPU time grew while it computed (waited at most 5 s)").toBeGreaterThan(before ?? 0);
    const whole = processCpuMs(process.pid) ?? 0;
    expect(mainThreadCpuMs(process.pid) ?? Infinity, "one thread never used more CPU than its whole process").toBeLessThanOrEqual(whole);
    expect(mainThreadCpuMs(2 ** 22 + 12345), "no process has this pid").toBeUndefined();
  });
});

describe("process trees", () => {
  const processes: ProcessTicks[] = [
    { pid: 1, ppid: 0, ticks: 9999 }, // init: not ours
    { pid: 100, ppid: 1, ticks: 300 }, // the bench (autocannon runs in it)
    { pid: 101, ppid: 100, ticks: 1200 }, // the server the bench started
    { pid: 102, ppid: 101, ticks: 40 }, // something the server started
    { pid: 103, ppid: 100, ticks: 500 }, // k6, started by the bench
    { pid: 200, ppid: 1, ticks: 777 }, // a neighbour's build
  ];
  test("a tree is its root and everything below it", () => {
    expect([...descendants(processes, 101)].sort()).toEqual([101, 102]);
    expect([...descendants(processes, 100)].sort()).toEqual([100, 101, 102, 103]);
  });
  test("the server's tree and the load generator's (the rest of the bench's) are counted apart; others are not ours", () => {
    expect(splitTrees(processes, 100, 101)).toEqual({ serverTicks: 1240, loadgenTicks: 800 });
    expect(splitTrees(processes, 100)).toEqual({ serverTicks: 0, loadgenTicks: 2040 });
  });
});

/** Two samples `seconds` apart; ticks are 1/100 s. */
function samples(seconds: number, busyTicks: number, serverTicks: number, loadgenTicks: number, stealTicks = 0, irqTicks = 0): [CpuSample, CpuSample] {
  return [
    { at: 1000, machine: { busy: 50_000, irq: 40, steal: 100 }, serverTicks: 7000, loadgenTicks: 3000, loadAverage: 0.5 },
    {
      at: 1000 + seconds * 1000,
      machine: { busy: 50_000 + busyTicks, irq: 40 + irqTicks, steal: 100 + stealTicks },
      serverTicks: 7000 + serverTicks,
      loadgenTicks: 3000 + loadgenTicks,
      loadAverage: 1.7,
    },
  ];
}

describe("noise between two samples", () => {
  test("others = machine busy − server − load generator, in cores", () => {
    // 6 s on 2 cores: the machine was busy 1,140 ticks (1.9 cores), the server took 960 (1.6),
    // the load generator 120 (0.2): others took 60 ticks, 0.1 core.
    const n = noiseBetween(...samples(6, 1140, 960, 120));
    expect(n.method).toBe("proc");
    expect(n.serverCores).toBeCloseTo(1.6);
    expect(n.loadgenCores).toBeCloseTo(0.2);
    expect(n.othersCores).toBeCloseTo(0.1);
    expect(n.loadAverage).toBe(1.7);
  });
  test("steal is part of the others, and shown on its own too", () => {
    const n = noiseBetween(...samples(5, 1000, 700, 100, 150));
    expect(n.othersCores, "200 ticks over 5 s, steal's 150 included").toBeCloseTo(0.4);
    expect(n.stealCores).toBeCloseTo(0.3);
  });
  test("the kernel's interrupt work (irq, softirq) is the bench's own traffic, not the others'", () => {
    // 6 s: busy 1,200 ticks, of which 60 softirq (the loopback carrying the bench's requests).
    const n = noiseBetween(...samples(6, 1200, 900, 180, 0, 60));
    expect(n.kernelCores).toBeCloseTo(0.1);
    expect(n.loadgenCores, "the load generator's 0.3 plus the kernel's 0.1").toBeCloseTo(0.4);
    expect(n.othersCores, "60 ticks left for the others").toBeCloseTo(0.1);
  });
  test("never below zero when the counters were read a tick apart", () => {
    expect(noiseBetween(...samples(6, 1000, 980, 40)).othersCores).toBe(0);
  });
  test("a child that ended and was reaped inside the tree keeps its ticks (they move to its parent's cutime)", () => {
    const processes = (childAlive: boolean): ProcessTicks[] =>
      childAlive
        ? [
            { pid: 100, ppid: 1, ticks: 50 },
            { pid: 103, ppid: 100, ticks: 400 },
          ]
        : [{ pid: 100, ppid: 1, ticks: 50 + 400 + 100 }]; // the child ran 100 more ticks, then was reaped
    const before = splitTrees(processes(true), 100);
    const after = splitTrees(processes(false), 100);
    expect(after.loadgenTicks - before.loadgenTicks).toBe(100);
  });
  test("without /proc/stat only the load average is known, and it says so", () => {
    const [a, b] = samples(6, 0, 600, 60);
    const n = noiseBetween({ ...a, machine: undefined }, { ...b, machine: undefined });
    expect(n.method).toBe("loadavg");
    expect(n.othersCores).toBeNaN();
    expect(noiseText(n, 2)).toBe("load 1.7");
  });
});

describe("flagging", () => {
  const proc = (others: number, steal = 0): Noise => ({ method: "proc", seconds: 6, othersCores: others, stealCores: steal, serverCores: 1.8, loadgenCores: 0.2, loadAverage: 2 });
  test(`a row is flagged when others took more than ${NOISE_FLAG_CORES} core, not at it`, () => {
    expect(NOISE_FLAG_CORES).toBe(0.1);
    expect(isNoisy(proc(0.1), 2)).toBe(false);
    expect(isNoisy(proc(0.11), 2)).toBe(true);
    expect(isNoisy(undefined, 2)).toBe(false);
  });
  test("the load-average fallback flags only more runnable threads than the cores plus the load generator", () => {
    const load = (l: number): Noise => ({ method: "loadavg", seconds: 6, othersCores: Number.NaN, stealCores: Number.NaN, serverCores: 0, loadgenCores: 0, loadAverage: l });
    expect(isNoisy(load(3), 2)).toBe(false);
    expect(isNoisy(load(3.2), 2)).toBe(true);
  });
  test("a round is as noisy as its noisiest scenario", () => {
    expect(worstNoise([proc(0.02), undefined, proc(0.4), proc(0.05)], 2)?.othersCores).toBe(0.4);
    expect(worstNoise([undefined], 2)).toBeUndefined();
  });
  test("the column shows the cores, steal when there was any, and the flag", () => {
    expect(noiseText(proc(0.03), 2)).toBe("0.03");
    expect(noiseText(proc(0.42, 0.2), 2)).toBe("0.42 (steal 0.20) ⚑");
    expect(noiseText(undefined, 2)).toBe("–");
  });
});
