/**
 * Finding JSON in a model's answer, shared by `json`, `json-schema` and `is-tool-call`. Models
 * wrap JSON in prose and code fences, so "the answer is JSON" means: the whole answer parses, or
 * the body of one of its ``` fences does.
 */

export type JsonFound =
  | { found: true; value: unknown; where: string }
  | { found: false; why: string };

const FENCE = /^[ \t]*```[^\n`]*\n([\s\S]*?)^[ \t]*```/gm;

function tryParse(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  }
}

const isStructured = (v: unknown) => typeof v === 'object' && v !== null;

/** The first JSON object or array that is the whole answer or the body of a ``` code fence. */
export function jsonInAnswer(text: string): JsonFound {
  const whole = tryParse(text.trim());
  if (whole.ok && isStructured(whole.value)) return { found: true, value: whole.value, where: 'the whole answer' };
  const fences = [...text.matchAll(FENCE)].map((m) => m[1]!);
  for (const [i, body] of fences.entries()) {
    const parsed = tryParse(body.trim());
    if (parsed.ok && isStructured(parsed.value)) return { found: true, value: parsed.value, where: `code fence ${i + 1}` };
  }
  const firstFence = fences[0] === undefined ? undefined : tryParse(fences[0].trim());
  const whyFence =
    fences.length === 0 ? 'it has no ``` code fence' : `none of its ${fences.length} code fence(s) holds a JSON object or array${firstFence && !firstFence.ok ? ` (first: ${firstFence.error})` : ''}`;
  const whyWhole = whole.ok ? 'the answer is JSON but not an object or array' : `the answer is not JSON (${whole.error})`;
  return { found: false, why: `${whyWhole} and ${whyFence}` };
}

/** Where the `{` at `start` is closed, skipping braces inside JSON strings; -1 when never. */
function closingBrace(text: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return i;
  }
  return -1;
}

/** Every JSON object written anywhere in the text (in prose, inline code or fences), outer first. */
export function jsonObjectsInText(text: string): Array<Record<string, unknown>> {
  const objects: Array<Record<string, unknown>> = [];
  for (let i = text.indexOf('{'); i !== -1; i = text.indexOf('{', i + 1)) {
    const end = closingBrace(text, i);
    if (end === -1) continue;
    const parsed = tryParse(text.slice(i, end + 1));
    if (parsed.ok && isStructured(parsed.value) && !Array.isArray(parsed.value)) objects.push(parsed.value as Record<string, unknown>);
  }
  return objects;
}

/** A short, single-line rendering of a JSON value for failure reasons. */
export function preview(value: unknown, max = 80): string {
  const s = JSON.stringify(value) ?? String(value);
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}
