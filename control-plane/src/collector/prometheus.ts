// A small, tolerant parser of the Prometheus text exposition format (0.0.4). We need samples
// (name, labels, value) only; HELP/TYPE lines are skipped and a malformed line is dropped, not
// fatal: one odd line from an engine must not lose the whole scrape. (parse-prometheus-text-format
// drops histogram _sum/_count and labels of bucket series, which we need.)

/** One sample line. */
export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;

function parseValue(s: string): number {
  switch (s) {
    case '+Inf':
    case 'Inf':
      return Infinity;
    case '-Inf':
      return -Infinity;
    case 'NaN':
      return NaN;
    default:
      return s === '' ? NaN : Number(s);
  }
}

// Parses `{a="x",b="y\"z"}` starting at `i` (at '{'); returns labels and the index after '}'.
function parseLabels(line: string, i: number): { labels: Record<string, string>; end: number } | null {
  const labels: Record<string, string> = {};
  i += 1;
  for (;;) {
    while (line[i] === ' ' || line[i] === ',') i += 1;
    if (line[i] === '}') return { labels, end: i + 1 };
    const m = NAME.exec(line.slice(i));
    if (m === null) return null;
    const key = m[0];
    i += key.length;
    while (line[i] === ' ') i += 1;
    if (line[i] !== '=') return null;
    i += 1;
    while (line[i] === ' ') i += 1;
    if (line[i] !== '"') return null;
    i += 1;
    let value = '';
    for (;;) {
      const c = line[i];
      if (c === undefined) return null;
      if (c === '\\') {
        const n = line[i + 1];
        value += n === 'n' ? '\n' : (n ?? '');
        i += 2;
      } else if (c === '"') {
        i += 1;
        break;
      } else {
        value += c;
        i += 1;
      }
    }
    labels[key] = value;
  }
}

/** Parses exposition text into samples, skipping comments and malformed lines. */
export function parsePrometheusText(text: string): PromSample[] {
  const out: PromSample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = NAME.exec(line);
    if (m === null) continue;
    const name = m[0];
    let i = name.length;
    let labels: Record<string, string> = {};
    if (line[i] === '{') {
      const parsed = parseLabels(line, i);
      if (parsed === null) continue;
      labels = parsed.labels;
      i = parsed.end;
    }
    // value [timestamp]
    const rest = line.slice(i).trim().split(/\s+/);
    const value = parseValue(rest[0] ?? '');
    if (Number.isNaN(value) && rest[0] !== 'NaN') continue;
    out.push({ name, labels, value });
  }
  return out;
}
