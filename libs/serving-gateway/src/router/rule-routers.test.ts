import { describe, expect, it } from 'vitest';
import { FixedRouter, KeywordRouter } from './rule-routers.js';

describe('routing rules without a model', () => {
  it('mode always retrieves from every allowed tier; never retrieves nothing', async () => {
    expect(await new FixedRouter('always').decide('anything')).toMatchObject({ retrieve: true, tiers: ['tools', 'history', 'trainai', 'graph'] });
    expect(await new FixedRouter('always', ['history', 'tools']).decide('anything')).toMatchObject({ retrieve: true, tiers: ['tools', 'history'] });
    expect(await new FixedRouter('never').decide('Why did the chunker loop?')).toMatchObject({ retrieve: false, tiers: [], reason: 'gateway.routing.mode = never' });
    expect(await new FixedRouter('always', []).decide('x')).toMatchObject({ retrieve: false, tiers: [] });
  });

  it('an aborted query is not routed', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(new FixedRouter('always').decide('x', ac.signal)).rejects.toThrow();
  });

  it('the keyword baseline retrieves for team terms and CamelCase components, not for general questions', () => {
    const k = new KeywordRouter();
    expect(k.decideText('How do I reverse a list in Python?').retrieve).toBe(false);
    expect(k.decideText('What did we decide about the chunker?')).toMatchObject({ retrieve: true, tiers: ['history'] });
    expect(k.decideText('How does OverlapChunker split text?')).toMatchObject({ retrieve: true, tiers: ['tools'] });
    expect(new KeywordRouter(['tools']).decideText('What did we decide about the chunker?')).toMatchObject({ retrieve: true, tiers: ['tools'] });
  });
});
