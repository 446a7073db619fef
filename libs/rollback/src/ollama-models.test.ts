import { describe, expect, it } from 'vitest';
import { ADAPTER_REFUSED_FROM, versionBefore } from './ollama-models.js';

describe('versionBefore (is this Ollama older than 0.34.1, so that it accepts ADAPTER?)', () => {
  it('compares dotted versions numerically, ignoring a leading v and a suffix', () => {
    expect(versionBefore('0.20.0', ADAPTER_REFUSED_FROM)).toBe(true);
    expect(versionBefore('v0.34.0', ADAPTER_REFUSED_FROM)).toBe(true);
    expect(versionBefore('0.34.1', ADAPTER_REFUSED_FROM)).toBe(false);
    expect(versionBefore('0.34.10', ADAPTER_REFUSED_FROM)).toBe(false);
    expect(versionBefore('0.100.0', ADAPTER_REFUSED_FROM)).toBe(false);
    expect(versionBefore('1.0.0-rc1', ADAPTER_REFUSED_FROM)).toBe(false);
    expect(versionBefore('0.9', ADAPTER_REFUSED_FROM)).toBe(true);
  });
});
