/**
 * Ollama's `show` gives parameters as Modelfile text (`stop "<|im_end|>"` one per line);
 * `/api/create` takes them as an object. Repeated keys (stop) become arrays.
 */
export function parseModelfileParameters(text: string | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const raw of (text ?? '').split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    const m = /^(\S+)\s+(.+)$/.exec(line);
    if (!m) continue;
    const key = m[1]!;
    const value = parseValue(m[2]!.trim());
    if (key === 'stop') {
      const list = (out.stop as unknown[] | undefined) ?? [];
      list.push(value);
      out.stop = list;
    } else {
      out[key] = value;
    }
  }
  return out;
}

function parseValue(v: string): unknown {
  if (v.startsWith('"') && v.endsWith('"')) {
    try {
      return JSON.parse(v) as unknown;
    } catch {
      return v.slice(1, -1);
    }
  }
  if (/^-?\d+(\.\d+)?(e-?\d+)?$/i.test(v)) return Number(v);
  if (v === 'true' || v === 'false') return v === 'true';
  return v;
}
