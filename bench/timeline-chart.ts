/** An SVG chart of the steady-stream run: rows/s (bars) and p99 freshness (line) per second. */
export function timelineSvg(timeline: Array<{ second: number; rows: number; freshnessP99Ms: number }>, title: string): string {
  const width = 720;
  const height = 300;
  const pad = { left: 60, right: 60, top: 40, bottom: 40 };
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const seconds = Math.max(1, ...timeline.map((point) => point.second + 1));
  const maxRows = Math.max(1, ...timeline.map((point) => point.rows));
  const maxMs = Math.max(1, ...timeline.map((point) => point.freshnessP99Ms));
  const x = (second: number) => pad.left + (second / seconds) * plotW;
  const barWidth = Math.max(1, plotW / seconds - 1);
  const bars = timeline
    .map((point) => {
      const h = (point.rows / maxRows) * plotH;
      return `<rect x="${x(point.second).toFixed(1)}" y="${(pad.top + plotH - h).toFixed(1)}" width="${barWidth.toFixed(1)}" height="${h.toFixed(1)}" fill="#9ecae1"/>`;
    })
    .join('');
  const line = timeline
    .map((point, i) => `${i === 0 ? 'M' : 'L'}${(x(point.second) + barWidth / 2).toFixed(1)},${(pad.top + plotH - (point.freshnessP99Ms / maxMs) * plotH).toFixed(1)}`)
    .join(' ');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="white"/>
<text x="${width / 2}" y="20" text-anchor="middle" font-size="14">${title}</text>
${bars}
<path d="${line}" fill="none" stroke="#d62728" stroke-width="2"/>
<line x1="${pad.left}" y1="${pad.top + plotH}" x2="${pad.left + plotW}" y2="${pad.top + plotH}" stroke="black"/>
<text x="${pad.left - 8}" y="${pad.top + 4}" text-anchor="end" fill="#3182bd">${maxRows}</text>
<text x="${pad.left - 8}" y="${pad.top + plotH}" text-anchor="end" fill="#3182bd">0</text>
<text x="14" y="${pad.top + plotH / 2}" fill="#3182bd" transform="rotate(-90 14 ${pad.top + plotH / 2})" text-anchor="middle">invoices per second (bars)</text>
<text x="${pad.left + plotW + 8}" y="${pad.top + 4}" fill="#d62728">${Math.round(maxMs)} ms</text>
<text x="${pad.left + plotW + 8}" y="${pad.top + plotH}" fill="#d62728">0</text>
<text x="${width - 14}" y="${pad.top + plotH / 2}" fill="#d62728" transform="rotate(90 ${width - 14} ${pad.top + plotH / 2})" text-anchor="middle">p99 freshness (line)</text>
<text x="${pad.left + plotW / 2}" y="${height - 10}" text-anchor="middle">seconds since the load started (by source commit time)</text>
</svg>
`;
}
