import { describe, expect, it } from 'vitest';
import { isToolCall } from './is-tool-call.js';

const check = (text: string, tool?: string) => isToolCall.check({ prompt: '', text, latencyMs: 0 }, tool);

describe('is-tool-call', () => {
  it('finds a call as in examples/tool_examples: in a fence, inline code or bare', () => {
    const fenced = '**Tool call:**\n```json\n{ "tool": "run_command", "arguments": { "command": "web4 index daily", "timeout_s": 120 } }\n```';
    expect(check(fenced)).toMatchObject({ pass: true, reason: expect.stringMatching(/^calls "run_command": /) });
    expect(check('The tool call is: `{"tool": "run_command", "arguments": {"command": "web4 model list"}}`.', 'run_command').pass).toBe(true);
    expect(check('{"tool": "search_journal", "arguments": {"query": "n_results", "collections": ["pdca_historical"]}}', 'search_journal').pass).toBe(true);
  });

  it('fails a call to another tool than the one expected', () => {
    expect(check('{"tool": "read_file", "arguments": {"path": "README.md"}}', 'run_command')).toEqual({ pass: false, reason: 'calls "read_file", expected "run_command"' });
  });

  it('fails near misses: no arguments object, arguments as a list, an empty tool name', () => {
    expect(check('{"tool":"run_command","args":[],"commands":["list"]}')).toEqual({
      pass: false,
      reason: '{"tool":"run_command","args":[],"commands":["list"]} is not a tool call: it needs "tool" (a name) and "arguments" (an object)',
    });
    expect(check('{"tool": "run_command", "arguments": ["ls"]}').pass).toBe(false);
    expect(check('{"tool": "", "arguments": {}}').pass).toBe(false);
  });

  it('fails prose and a call that was cut short', () => {
    expect(check('I would run web4 model list for you.').reason).toBe('no {"tool": "<name>", "arguments": {...}} object in the answer');
    expect(check('{"tool": "run_command", "arguments": {"command": "web4 mo').pass).toBe(false);
  });
});
