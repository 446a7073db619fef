import { z } from 'zod';
import { jsonObjectsInText, preview } from './json-in-answer.js';
import { defineAssertion } from './types.js';

const looksLikeToolCall = (o: Record<string, unknown>) =>
  typeof o.tool === 'string' && o.tool.length > 0 && typeof o.arguments === 'object' && o.arguments !== null && !Array.isArray(o.arguments);

/**
 * The answer holds a tool call in the project's syntax (examples/tool_examples): a JSON object
 * `{"tool": "<name>", "arguments": {...}}`, in prose, inline code or a code fence. With a value:
 * a call to that tool.
 */
export const isToolCall = defineAssertion({
  name: 'is-tool-call',
  value: z.string({ error: 'must be a tool name' }).min(1, 'must not be empty').optional().describe('a tool name, e.g. run_command'),
  check: (answer, tool) => {
    const objects = jsonObjectsInText(answer.text);
    const calls = objects.filter(looksLikeToolCall);
    if (calls.length === 0) {
      const near = objects.find((o) => 'tool' in o);
      return {
        pass: false,
        reason: near
          ? `${preview(near)} is not a tool call: it needs "tool" (a name) and "arguments" (an object)`
          : 'no {"tool": "<name>", "arguments": {...}} object in the answer',
      };
    }
    if (tool === undefined) return { pass: true, reason: `calls ${JSON.stringify(calls[0]!.tool)}: ${preview(calls[0])}` };
    const match = calls.find((c) => c.tool === tool);
    return match
      ? { pass: true, reason: `calls ${JSON.stringify(tool)}: ${preview(match)}` }
      : { pass: false, reason: `calls ${calls.map((c) => JSON.stringify(c.tool)).join(', ')}, expected ${JSON.stringify(tool)}` };
  },
});
