// How much CPU everything else took while a scenario ran: the "noise" column.
//
// A benchmark on a shared machine measures the code *and* whatever else ran. The load average
// cannot tell the two apart (it counts the bench's own threads too, and lags a minute), so on
// Linux the bench counts CPU time instead, from the kernel's own counters:
//
//   the machine's busy time        /proc/stat: user, nice, system, irq, softirq, steal
//   minus the server's process      /proc/<pid>/stat of the server and its descendants
//   minus the load generator's      the bench's own process (autocannon runs in it), k6 and
//                                   any other process the bench started, and the kernel's
//                                   interrupt work (irq, softirq) meanwhile
//   = the others                    builds, test suites, a browser: what the figures did not ask for
//
// Why irq and softirq go to the load generator: no process is charged for them, and during a
// scenario they are the kernel carrying the bench's own requests over loopback. Measured here
// (2 vCPUs, Bun 1.4.5): 0.10 core of softirq while the overhead scenario pushed about 20,000
// trivial requests a second, under 0.01 core during the heavy scenarios. Counted as others,
// they would flag every quiet run of the overhead scenario. (A neighbour's heavy network
// traffic is then missed: rare on a laptop.)
//
// Steal (time the hypervisor gave this virtual machine's CPUs to another guest) belongs to no
// process, so it lands in "others" and is also shown on its own: a noisy neighbour on the host
// that nothing inside the machine can see. Elsewhere (macOS, Windows) there is no /proc: the
// bench falls back to the load average and says so.
//
// The arithmetic is pure (parse*, noiseBetween) and tested on recorded /proc samples; only
// `readCpu` touches the file system.

import { existsSync, readdirSync, readFileSync } from "node:fs";
import { loadavg } from "node:os";

/**
 * A row is flagged when the others took more than this many cores on average while it was
 * measured. A tenth of a core is about what a quiet desktop's background does; more, and a
 * step that needs every core (step 04 on) is measurably slowed while one that needs a single
 * core (step 01) is not, which is exactly what skews a speedup.
 */
export const NOISE_FLAG_CORES = 0.1;

/** Clock ticks per second of /proc's counters (USER_HZ): 100 on every mainstream Linux build. */
export const USER_HZ = 100;

/** The machine's counters from the first line of /proc/stat, in ticks. */
export interface MachineTicks {
  /** user + nice + system + irq + softirq + steal: time some CPU was not idle. */
  busy: number;
  /** irq + softirq: the kernel's interrupt work, charged to no process. */
  irq: number;
  steal: number;
}

/** One process's line of /proc/<pid>/stat, reduced to what the noise needs. */
export interface ProcessTicks {
  pid: number;
  ppid: number;
  /** utime + stime + cutime + cstime: its threads' CPU, and that of the children it has reaped. */
  ticks: number;
}

/** One reading of every counter the noise needs, at one moment. */
export interface CpuSample {
  /** performance.now() when it was read, in ms. */
  at: number;
  /** Undefined where there is no /proc/stat: then only the load average is known. */
  machine?: MachineTicks;
  /** CPU ticks of the server's tree and of the load generator's (the bench's own tree minus the server's). */
  serverTicks: number;
  loadgenTicks: number;
  /** The 1-minute load average. */
  loadAverage: number;
}

/** What a scenario's noise measurement found. Every figure is in cores (1 = one core busy the whole time). */
export interface Noise {
  /** "proc": counted from /proc; "loadavg": no /proc on this platform, only the load average. */
  method: "proc" | "loadavg";
  seconds: number;
  /** CPU taken by everything but the server and the load generator, steal included: the figure rows are flagged on. */
  othersCores: number;
  /** The part of `othersCores` the hypervisor gave to other guests. */
  stealCores: number;
  serverCores: number;
  /** The load generator's processes, plus the kernel's interrupt work (`kernelCores`). */
  loadgenCores: number;
  /** irq + softirq: mostly the kernel carrying the bench's own requests over loopback. */
  kernelCores?: number;
  /** The 1-minute load average at the end. With method "loadavg", the only figure there is. */
  loadAverage: number;
}

/** Parses the `cpu` line of /proc/stat. Its fields: user nice system idle iowait irq softirq steal guest guest_nice. */
export function parseProcStat(text: string): MachineTicks {
  const line = text.split("\n").find((l) => l.startsWith("cpu "));
  if (!line) throw new Error("no aggregate `cpu` line in /proc/stat");
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  const at = (i: number) => f[i] ?? 0;
  const [user, nice, system, irq, softirq, steal] = [at(0), at(1), at(2), at(5), at(6), at(7)];
  // guest and guest_nice are already counted inside user and nice: adding them would count twice.
  return { busy: user + nice + system + irq + softirq + steal, irq: irq + softirq, steal };
}

/**
 * Parses /proc/<pid>/stat. The command name (field 2) is in parentheses and may itself hold
 * spaces and parentheses, so the fields are counted from the *last* ")".
 */
export function parsePidStat(text: string): ProcessTicks | undefined {
  const close = text.lastIndexOf(")");
  const open = text.indexOf("(");
  if (close < 0 || open < 0) return undefined;
  const pid = Number(text.slice(0, open).trim());
  // After ")": state(3) ppid(4) … utime(14) stime(15) cutime(16) cstime(17); index 0 is state.
  const rest = text.slice(close + 1).trim().split(/\s+/);
  const field = (n: number) => Number(rest[n - 3] ?? Number.NaN);
  const ticks = field(14) + field(15) + field(16) + field(17);
  if (!Number.isFinite(pid) || !Number.isFinite(ticks)) return undefined;
  return { pid, ppid: field(4), ticks };
}

/** The pids of `root` and every process below it. */
export function descendants(processes: readonly ProcessTicks[], root: number): Set<number> {
  const children = new Map<number, number[]>();
  for (const p of processes) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p.pid]);
  const tree = new Set<number>();
  const stack = [root];
  while (stack.length > 0) {
    const pid = stack.pop() as number;
    if (tree.has(pid)) continue;
    tree.add(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  return tree;
}

/**
 * Splits the bench's own tree in two: the server's (`serverPid` and below) and the rest, which
 * is the load generator (the bench's process runs autocannon; k6 is its child).
 */
export function splitTrees(processes: readonly ProcessTicks[], benchPid: number, serverPid?: number): { serverTicks: number; loadgenTicks: number } {
  const own = descendants(processes, benchPid);
  const server = serverPid === undefined ? new Set<number>() : descendants(processes, serverPid);
  let serverTicks = 0;
  let loadgenTicks = 0;
  for (const p of processes) {
    if (server.has(p.pid)) serverTicks += p.ticks;
    else if (own.has(p.pid)) loadgenTicks += p.ticks;
  }
  return { serverTicks, loadgenTicks };
}

/**
 * The noise between two samples. A process that ended in between and was reaped by its parent
 * inside the tree moved its ticks into that parent's cutime/cstime, so the tree's total is kept.
 */
export function noiseBetween(a: CpuSample, b: CpuSample, hz = USER_HZ): Noise {
  const seconds = Math.max(1e-3, (b.at - a.at) / 1000);
  const cores = (ticks: number) => Math.max(0, ticks) / hz / seconds;
  const serverCores = cores(b.serverTicks - a.serverTicks);
  const loadgenCores = cores(b.loadgenTicks - a.loadgenTicks);
  if (!a.machine || !b.machine) {
    return { method: "loadavg", seconds, othersCores: Number.NaN, stealCores: Number.NaN, serverCores, loadgenCores, loadAverage: b.loadAverage };
  }
  const busy = cores(b.machine.busy - a.machine.busy);
  const kernelCores = cores(b.machine.irq - a.machine.irq);
  return {
    method: "proc",
    seconds,
    // Ticks are 10 ms and the two sources are read a moment apart: never below zero.
    othersCores: Math.max(0, busy - serverCores - loadgenCores - kernelCores),
    stealCores: cores(b.machine.steal - a.machine.steal),
    serverCores,
    loadgenCores: loadgenCores + kernelCores,
    kernelCores,
    loadAverage: b.loadAverage,
  };
}

/**
 * Whether a measurement was disturbed. From /proc: others above NOISE_FLAG_CORES. From the load
 * average alone (no /proc): a coarse guess, flagged when more threads wanted a CPU than the
 * machine has cores plus one for the load generator; the bench's own threads count in it too.
 */
export function isNoisy(noise: Noise | undefined, cores: number): boolean {
  if (!noise) return false;
  if (noise.method === "proc") return noise.othersCores > NOISE_FLAG_CORES;
  return noise.loadAverage > cores + 1;
}

/**
 * How disturbed a measurement was, on one scale for both methods: over NOISE_FLAG_CORES is
 * flagged. For the load average, its excess over the cores plus one, shifted onto that scale.
 */
export function noiseLevel(noise: Noise | undefined, cores: number): number {
  if (!noise) return 0;
  return noise.method === "proc" ? noise.othersCores : noise.loadAverage - cores - 1 + NOISE_FLAG_CORES;
}

/** The worst (noisiest) of several measurements: a round is as disturbed as its worst scenario. */
export function worstNoise(noises: readonly (Noise | undefined)[], cores: number): Noise | undefined {
  let worst: Noise | undefined;
  for (const n of noises) {
    if (n && (!worst || noiseLevel(n, cores) > noiseLevel(worst, cores))) worst = n;
  }
  return worst;
}

/** The noise column's text: "0.03", "0.42 ⚑", "load 2.1 ⚑", with steal in brackets when there was any. */
export function noiseText(noise: Noise | undefined, cores: number): string {
  if (!noise) return "–";
  const flag = isNoisy(noise, cores) ? " ⚑" : "";
  if (noise.method === "loadavg") return `load ${noise.loadAverage.toFixed(1)}${flag}`;
  const steal = noise.stealCores >= 0.01 ? ` (steal ${noise.stealCores.toFixed(2)})` : "";
  return `${noise.othersCores.toFixed(2)}${steal}${flag}`;
}

// ---------------------------------------------------------------------------------------------
// Reading the counters (Linux); the only part that touches the system.

const PROC = "/proc";

/** True where /proc/stat exists: the noise is then counted, not guessed. */
export function canCountNoise(): boolean {
  return existsSync(`${PROC}/stat`);
}

function readProcesses(): ProcessTicks[] {
  const out: ProcessTicks[] = [];
  for (const name of readdirSync(PROC)) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const p = parsePidStat(readFileSync(`${PROC}/${name}/stat`, "utf8"));
      if (p) out.push(p);
    } catch {
      // it ended between the listing and the read: it is not ours to count
    }
  }
  return out;
}

/**
 * The CPU time one process has used so far, all its threads together (a server's workers are
 * threads of its process), in ms; undefined where there is no /proc, or once it has ended.
 */
export function processCpuMs(pid: number, hz = USER_HZ): number | undefined {
  return cpuMsOf(`${PROC}/${pid}/stat`, hz);
}

/**
 * The CPU time of a process's main thread alone, in ms: the thread whose id is the process's
 * own (Linux lists each thread under /proc/<pid>/task/<tid>). In a server of this tutorial that
 * is the thread that runs Bun.serve, the pool and every conversion on the server's side; the
 * rest of processCpuMs is the workers' (and the runtime's helpers: the collector, the JIT).
 */
export function mainThreadCpuMs(pid: number, hz = USER_HZ): number | undefined {
  return cpuMsOf(`${PROC}/${pid}/task/${pid}/stat`, hz);
}

function cpuMsOf(statPath: string, hz: number): number | undefined {
  try {
    const p = parsePidStat(readFileSync(statPath, "utf8"));
    return p ? (p.ticks * 1000) / hz : undefined;
  } catch {
    return undefined;
  }
}

/** Reads every counter now. `serverPid` is the server's process, when one runs. */
export function readCpu(serverPid?: number): CpuSample {
  const loadAverage = Math.round((loadavg()[0] ?? 0) * 100) / 100;
  if (!canCountNoise()) return { at: performance.now(), serverTicks: 0, loadgenTicks: 0, loadAverage };
  const machine = parseProcStat(readFileSync(`${PROC}/stat`, "utf8"));
  const trees = splitTrees(readProcesses(), process.pid, serverPid);
  return { at: performance.now(), machine, ...trees, loadAverage };
}

/** Starts a measurement; `stop()` returns the noise since. */
export function startNoise(serverPid?: number): { stop(): Noise } {
  const first = readCpu(serverPid);
  return { stop: () => noiseBetween(first, readCpu(serverPid)) };
}
