/**
 * Hand-written SVG line charts (no plotting dependency): a few series of (x, y) points on linear axes
 * with ticks, a legend and axis titles. Pure: returns the SVG text.
 */
export interface Series {
  name: string;
  points: Array<[number, number]>;
  color: string;
  /** SVG stroke-dasharray, e.g. "6 4" (a second line of the same server). */
  dash?: string;
}

export interface ChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  width?: number;
  height?: number;
  /** Draw markers at each point (few points) instead of a plain line (many points). */
  markers?: boolean;
  /** Lower bound of the y axis; default 0. */
  yMin?: number;
  /** Bounds of the x axis; default the data's. */
  xMin?: number;
  xMax?: number;
}

export const COLORS = { camrtc: '#1f77b4', janus: '#d62728' } as const;

const MARGIN = { left: 70, right: 20, top: 40, bottom: 50 };
const TICKS = 5;

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A "nice" tick step (1, 2 or 5 times a power of ten) for a span split in about `count` parts. */
export function niceStep(span: number, count: number): number {
  if (!(span > 0)) return 1;
  const raw = span / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const unit = raw / power;
  return (unit <= 1 ? 1 : unit <= 2 ? 2 : unit <= 5 ? 5 : 10) * power;
}

function fmt(v: number): string {
  return Math.abs(v) >= 1000 || Number.isInteger(v) ? String(Math.round(v)) : v.toPrecision(3).replace(/\.?0+$/, '');
}

export function lineChart(series: readonly Series[], options: ChartOptions): string {
  const width = options.width ?? 720;
  const height = options.height ?? 360;
  const all = series.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  const xMin = options.xMin ?? (all.length ? Math.min(...all.map((p) => p[0])) : 0);
  const xMaxRaw = options.xMax ?? (all.length ? Math.max(...all.map((p) => p[0])) : 1);
  const yMin = options.yMin ?? 0;
  const yMaxRaw = all.length ? Math.max(...all.map((p) => p[1])) : 1;
  const xStep = niceStep(xMaxRaw - xMin, TICKS);
  const yStep = niceStep(yMaxRaw - yMin, TICKS);
  const xMax = Math.max(xMin + xStep, Math.ceil(xMaxRaw / xStep) * xStep);
  const yMax = Math.max(yMin + yStep, Math.ceil(yMaxRaw / yStep) * yStep);
  const plotW = width - MARGIN.left - MARGIN.right;
  const plotH = height - MARGIN.top - MARGIN.bottom;
  const sx = (x: number): number => MARGIN.left + ((x - xMin) / (xMax - xMin)) * plotW;
  const sy = (y: number): number => MARGIN.top + plotH - ((y - yMin) / (yMax - yMin)) * plotH;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="15">${esc(options.title)}</text>`,
  ];
  for (let y = yMin; y <= yMax + yStep / 2; y += yStep) {
    out.push(`<line x1="${MARGIN.left}" x2="${width - MARGIN.right}" y1="${sy(y).toFixed(1)}" y2="${sy(y).toFixed(1)}" stroke="#ddd"/>`);
    out.push(`<text x="${MARGIN.left - 6}" y="${(sy(y) + 4).toFixed(1)}" text-anchor="end">${fmt(y)}</text>`);
  }
  for (let x = Math.ceil(xMin / xStep) * xStep; x <= xMax + xStep / 2; x += xStep) {
    out.push(`<line x1="${sx(x).toFixed(1)}" x2="${sx(x).toFixed(1)}" y1="${MARGIN.top}" y2="${MARGIN.top + plotH}" stroke="#eee"/>`);
    out.push(`<text x="${sx(x).toFixed(1)}" y="${MARGIN.top + plotH + 16}" text-anchor="middle">${fmt(x)}</text>`);
  }
  out.push(`<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#888"/>`);
  out.push(`<text x="${MARGIN.left + plotW / 2}" y="${height - 12}" text-anchor="middle">${esc(options.xLabel)}</text>`);
  out.push(`<text transform="translate(16 ${MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle">${esc(options.yLabel)}</text>`);
  series.forEach((s, i) => {
    const pts = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    if (pts.length) {
      const d = pts.map(([x, y], j) => `${j ? 'L' : 'M'}${sx(x).toFixed(1)} ${sy(Math.min(y, yMax)).toFixed(1)}`).join('');
      out.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="${options.markers ? 2 : 1}"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}/>`);
      if (options.markers) for (const [x, y] of pts) out.push(`<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="3.5" fill="${s.color}"/>`);
    }
    const ly = MARGIN.top + 14 + i * 16;
    out.push(s.dash
      ? `<line x1="${MARGIN.left + 10}" x2="${MARGIN.left + 22}" y1="${ly - 4}" y2="${ly - 4}" stroke="${s.color}" stroke-width="2" stroke-dasharray="3 2"/>`
      : `<rect x="${MARGIN.left + 10}" y="${ly - 9}" width="12" height="10" fill="${s.color}"/>`);
    out.push(`<text x="${MARGIN.left + 28}" y="${ly}">${esc(s.name)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
