// The comparison as a picture (SVG, written by hand: two bar panels need no library).
//
// Left: throughput by step, linear, because "twice as many requests" should look twice as tall.
// Right: latency by step on a log scale, because step 01's /health wait is hundreds of times
// step 04's and both must stay readable.

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
}

const W = 860;
const H = 360;
const PANEL = { top: 56, bottom: 300, width: 360 };
const COLORS = { rps: "#3b6ea8", p50: "#9ccae8", p99: "#3b6ea8", health: "#d9822b" };

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

function throughputPanel(steps: ChartStep[], x0: number, cores: number): string[] {
  const out: string[] = [];
  // The ceiling: the first step (one thread) times the cores. No pool can beat it on this
  // machine, however many workers it has, because fib never waits: it only computes.
  const base = steps[0]?.rps ?? Number.NaN;
  const ceiling = cores > 1 && Number.isFinite(base) ? base * cores : Number.NaN;
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
    // Labelled at the left, above the first bar, which is half its height and never in the way.
    out.push(text(x0 + 44, y(ceiling) - 4, `ceiling: ${cores} cores × ${steps[0]?.label ?? "first step"}`, 'font-size="10" fill="#c0392b"'));
  }
  const slot = (PANEL.width - 50) / steps.length;
  steps.forEach((s, i) => {
    const cx = x0 + 50 + slot * i + slot / 2;
    const bw = Math.min(44, slot * 0.6);
    if (Number.isFinite(s.rps)) {
      out.push(`<rect x="${c(cx - bw / 2)}" y="${c(y(s.rps))}" width="${c(bw)}" height="${c(PANEL.bottom - y(s.rps))}" fill="${COLORS.rps}" ${s.stale ? 'fill-opacity="0.4"' : ""}/>`);
      // The whisker: lowest to highest round. Bars whose whiskers overlap are not really different.
      if (s.rpsHigh > s.rpsLow) out.push(`<line x1="${c(cx)}" x2="${c(cx)}" y1="${c(y(s.rpsLow))}" y2="${c(y(s.rpsHigh))}" stroke="#222" stroke-width="2"/>`);
      out.push(text(cx, y(Math.max(s.rps, s.rpsHigh)) - 5, num(s.rps), 'text-anchor="middle" font-size="11"'));
    }
    out.push(text(cx, PANEL.bottom + 16, s.label + (s.stale ? "*" : ""), 'text-anchor="middle" font-size="12"'));
  });
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
    out.push(text(left + slot * 0.35, PANEL.bottom + 16, s.label + (s.stale ? "*" : ""), 'text-anchor="middle" font-size="12"'));
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

/** `cores` draws the ceiling line over the throughput bars: the first step's rate times the cores. */
export function chartSvg(steps: ChartStep[], caption: string, cores = 0): string {
  const body = [...throughputPanel(steps, 20, cores), ...latencyPanel(steps, 460)];
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="13">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    text(20, 20, caption, 'font-size="11" fill="#555"'),
    ...body,
    steps.some((s) => s.stale) ? text(20, H - 6, "* stale: the code changed after this step was measured", 'font-size="10" fill="#555"') : "",
    "</svg>",
    "",
  ].join("\n");
}
