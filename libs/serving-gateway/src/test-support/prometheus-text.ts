/**
 * A reader of the Prometheus text exposition format (0.0.4), for tests and benches: one sample
 * per line, `name{label="value",…} number`. Enough to check what a scrape holds, not a full parser
 * (no timestamps, no exemplars: prom-client writes neither here).
 */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export function parsePrometheusText(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`Not a Prometheus sample line: ${line}`);
    const labels: Record<string, string> = {};
    const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
    for (let l = re.exec(m[2] ?? ''); l; l = re.exec(m[2] ?? '')) labels[l[1]!] = l[2]!.replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
    samples.push({ name: m[1]!, labels, value: m[3] === '+Inf' ? Infinity : m[3] === '-Inf' ? -Infinity : Number(m[3]) });
  }
  return samples;
}

/** The samples of `name` whose labels include every label in `where`. */
export function select(samples: Sample[], name: string, where: Record<string, string> = {}): Sample[] {
  return samples.filter((s) => s.name === name && Object.entries(where).every(([k, v]) => s.labels[k] === v));
}

/** The single value of `name` matching `where`, or undefined when there is no such sample; throws when several match. */
export function valueOf(samples: Sample[], name: string, where: Record<string, string> = {}): number | undefined {
  const found = select(samples, name, where);
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} match ${JSON.stringify(where)}`);
  return found[0]?.value;
}

/** Names of the metric families a scrape declares (`# TYPE name kind`). */
export function metricFamilies(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) out.set(m[1]!, m[2]!);
  return out;
}
