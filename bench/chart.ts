// The comparison as a picture (SVG, written by hand: two bar panels need no library).
//
// Left: throughput by step, linear, because "twice as many requests" should look twice as tall.
// Right: latency by step on a log scale, because step 01's /health wait is hundreds of times
// step 04's and both must stay readable.
//
// A row measured while other processes took CPU (bench/noise.ts) is marked ⚑, its bar outlined
// in orange: its height is not the code's alone. The ceiling line is step 01's throughput times
// the parallel ceiling measured in the same run, when the run measured one.

export interface ChartStep {
  label: string;
  rps: number;
  /** Lowest and highest throughput over the rounds, for the whisker. */
  rpsLow: number;
  rpsHigh: number;
  p50Ms: number;
  p99Ms: number;
  healthP99Ms: number;
  stale: boolean;
  /** Measured while others took more than a tenth of a core, or its ratio is suspect. */
  flagged?: boolean;
}

/** The line over the bars: the first step's throughput times `ratio`. */
export interface ChartCeiling {
  ratio: number;
  /** true: the parallel ceiling measured in the same run; false: just the core count. */
  measured: boolean;
}

const W = 860;
const H = 360;
const PANEL = { top: 66, bottom: 300, width: 360 };
const COLORS = { rps: "#3b6ea8", p50: "#9ccae8", p99: "#3b6ea8", health: "#d9822b", flag: "#e67e22" };
const FLAG = "⚑";
/** Under each bar: the step, with * when stale and ⚑ when flagged. Short, so that eight steps fit. */
const labelOf = (s: ChartStep) => s.label + (s.stale ? "*" : "") + (s.flagged ? FLAG : "");

const esc = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
/** Coordinates with one decimal: enough for a screen, and the SVG stays readable as text. */
const c = (v: number) => v.toFixed(1);
const num = (v: number) => (v >= 100 ? Math.round(v).toString() : Number(v.toPrecision(2)).toString());

function text(x: number, y: number, content: string, attrs = ""): string {
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${attrs}>${esc(content)}</text>`;
}

/** "Nice" axis maximum: 1, 2 or 5 times a power of ten, at least `value`. */
export function niceMax(value: number): number {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  return ([1, 2, 5, 10].find((m) => m * power >= value) ?? 10) * power;
}

function throughputPanel(steps: ChartStep[], x0: number, line?: ChartCeiling): string[] {
  const out: string[] = [];
  // The ceiling: the first step (one thread) times what the machine gives in parallel. No pool
  // can beat it on this machine, however many workers it has, because fib never waits.
  const base = steps[0]?.rps ?? Number.NaN;
  const ceiling = line && line.ratio > 1 && Number.isFinite(base) ? base * line.ratio : Number.NaN;
  const max = niceMax(Math.max(...steps.map((s) => s.rpsHigh || s.rps), Number.isFinite(ceiling) ? ceiling : 0, 1));
  const y = (v: number) => PANEL.bottom - ((PANEL.bottom - PANEL.top) * v) / max;
  out.push(text(x0, 40, "Throughput, /fibonacci/:n, 20 users (req/s)", 'font-weight="bold"'));
  for (let i = 0; i <= 4; i++) {
    const v = (max * i) / 4;
    out.push(`<line x1="${x0 + 40}" x2="${x0 + PANEL.width}" y1="${c(y(v))}" y2="${c(y(v))}" stroke="#ddd"/>`);
    out.push(text(x0 + 34, y(v) + 4, num(v), 'text-anchor="end" font-size="11"'));
  }
  if (Number.isFinite(ceiling)) {
    out.push(`<line x1="${x0 + 40}" x2="${x0 + PANEL.width}" y1="${c(y(ceiling))}" y2="${c(y(ceiling))}" stroke="#c0392b" stroke-dasharray="5,4"/>`);
    // Labelled under the title, out of the bars' way whatever their heights.
    const first = steps[0]?.label ?? "the first step";
    const what = line?.measured ? `- - ceiling: step ${first} × ${line.ratio.toFixed(2)}, measured in this run` : `- - ceiling: step ${first} × ${line?.ratio ?? 0} cores (not measured)`;
    out.push(text(x0 + 40, 52, what, 'font-size="10" fill="#c0392b"'));
  }
  const slot = (PANEL.width - 50) / steps.length;
  steps.forEach((s, i) => {
    const cx = x0 + 50 + slot * i + slot / 2;
    const bw = Math.min(44, slot * 0.6);
    if (Number.isFinite(s.rps)) {
      const outline = s.flagged ? ` stroke="${COLORS.flag}" stroke-width="3"` : "";
      out.push(`<rect x="${c(cx - bw / 2)}" y="${c(y(s.rps))}" width="${c(bw)}" height="${c(PANEL.bottom - y(s.rps))}" fill="${COLORS.rps}"${outline} ${s.stale ? 'fill-opacity="0.4"' : ""}/>`);
      // The whisker: lowest to highest round. Bars whose whiskers overlap are not really different.
      if (s.rpsHigh > s.rpsLow) out.push(`<line x1="${c(cx)}" x2="${c(cx)}" y1="${c(y(s.rpsLow))}" y2="${c(y(s.rpsHigh))}" stroke="#222" stroke-width="2"/>`);
      out.push(text(cx, y(Math.max(s.rps, s.rpsHigh)) - 5, num(s.rps), 'text-anchor="middle" font-size="11"'));
    }
    out.push(text(cx, PANEL.bottom + 16, labelOf(s), `text-anchor="middle" font-size="12"${s.flagged ? ` fill="${COLORS.flag}"` : ""}`));
  });
  out.push(text(x0 + 34, PANEL.bottom + 16, "step", 'text-anchor="end" font-size="11" fill="#555"'));
  return out;
}

function latencyPanel(steps: ChartStep[], x0: number): string[] {
  const out: string[] = [];
  const values = steps.flatMap((s) => [s.p50Ms, s.p99Ms, s.healthP99Ms]).filter((v) => Number.isFinite(v) && v > 0);
  const lo = 10 ** Math.floor(Math.log10(Math.min(...values, 1)));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(...values, 10)));
  const y = (v: number) => PANEL.bottom - ((PANEL.bottom - PANEL.top) * (Math.log10(Math.max(v, lo)) - Math.log10(lo))) / (Math.log10(hi) - Math.log10(lo));
  out.push(text(x0, 40, "Latency (ms, log scale)", 'font-weight="bold"'));
  for (let v = lo; v <= hi; v *= 10) {
    out.push(`<line x1="${x0 + 40}" x2="${x0 + PANEL.width}" y1="${c(y(v))}" y2="${c(y(v))}" stroke="#ddd"/>`);
    out.push(text(x0 + 34, y(v) + 4, num(v), 'text-anchor="end" font-size="11"'));
  }
  const slot = (PANEL.width - 50) / steps.length;
  const series = [
    ["p50Ms", COLORS.p50],
    ["p99Ms", COLORS.p99],
    ["healthP99Ms", COLORS.health],
  ] as const;
  steps.forEach((s, i) => {
    const left = x0 + 50 + slot * i + slot * 0.15;
    const bw = (slot * 0.7) / series.length;
    series.forEach(([key, color], j) => {
      const v = s[key];
      if (!Number.isFinite(v)) return;
      // autocannon counts whole milliseconds: 0 means "under 1 ms", drawn up to 1 ms and labelled so.
      const shown = v > 0 ? v : 1;
      out.push(`<rect x="${c(left + j * bw)}" y="${c(y(shown))}" width="${c(bw - 2)}" height="${c(PANEL.bottom - y(shown))}" fill="${color}" ${v > 0 && !s.stale ? "" : 'fill-opacity="0.4"'}/>`);
      if (key === "healthP99Ms") out.push(text(left + j * bw + bw / 2, y(shown) - 4, v > 0 ? num(v) : "<1", 'text-anchor="middle" font-size="10"'));
    });
    out.push(text(left + slot * 0.35, PANEL.bottom + 16, labelOf(s), `text-anchor="middle" font-size="12"${s.flagged ? ` fill="${COLORS.flag}"` : ""}`));
  });
  const legend = [
    ["/fibonacci p50", COLORS.p50],
    ["/fibonacci p99", COLORS.p99],
    ["/health p99 under load", COLORS.health],
  ];
  legend.forEach(([label, color], j) => {
    const lx = x0 + 10 + j * 100;
    out.push(`<rect x="${lx}" y="${PANEL.bottom + 28}" width="10" height="10" fill="${color}"/>`);
    out.push(text(lx + 14, PANEL.bottom + 37, label as string, 'font-size="10"'));
  });
  return out;
}

/** `ceiling` draws a line over the throughput bars: the first step's rate times its ratio. */
export function chartSvg(steps: ChartStep[], caption: string, ceiling?: ChartCeiling): string {
  const body = [...throughputPanel(steps, 20, ceiling), ...latencyPanel(steps, 460)];
  const footnotes = [
    steps.some((s) => s.flagged) ? `${FLAG} measured while other processes took more than a tenth of a core (or its ratio is suspect): read it with care` : "",
    steps.some((s) => s.stale) ? "* stale: the code changed after this step was measured" : "",
  ].filter(Boolean);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H + 14 * Math.max(0, footnotes.length - 1)}" viewBox="0 0 ${W} ${H + 14 * Math.max(0, footnotes.length - 1)}" font-family="sans-serif" font-size="13">`,
    `<rect width="${W}" height="${H + 14 * Math.max(0, footnotes.length - 1)}" fill="white"/>`,
    text(20, 20, caption, 'font-size="11" fill="#555"'),
    ...body,
    ...footnotes.map((note, i) => text(20, H - 6 + 14 * i, note, `font-size="10" fill="${note.startsWith(FLAG) ? COLORS.flag : "#555"}"`)),
    "</svg>",
    "",
  ].join("\n");
}
