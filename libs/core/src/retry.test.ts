import { describe, expect, it } from 'vitest';
import { retry, sleep } from './retry.js';

describe('retry', () => {
  it('retries with growing delays until it succeeds', async () => {
    const delays: number[] = [];
    const result = await retry(async (attempt) => {
      if (attempt < 3) throw new Error(`fail ${attempt}`);
      return attempt;
    }, { attempts: 5, initialDelayMs: 10, factor: 2, onRetry: (_e, _a, d) => delays.push(d) });
    expect(result).toBe(3);
    expect(delays).toEqual([10, 20]);
  });

  it('stops at the last attempt, or at once when shouldRetry says no', async () => {
    let calls = 0;
    await expect(retry(async () => { calls++; throw new Error('always'); }, { attempts: 3, initialDelayMs: 1 })).rejects.toThrow('always');
    expect(calls).toBe(3);
    calls = 0;
    await expect(retry(async () => { calls++; throw new Error('permanent'); }, { attempts: 3, initialDelayMs: 1, shouldRetry: () => false })).rejects.toThrow('permanent');
    expect(calls).toBe(1);
  });

  it('an aborted signal ends the back-off, and a finished sleep leaves no listener behind', async () => {
    const controller = new AbortController();
    let listeners = 0;
    const add = controller.signal.addEventListener.bind(controller.signal);
    const remove = controller.signal.removeEventListener.bind(controller.signal);
    controller.signal.addEventListener = ((...a: Parameters<typeof add>) => { listeners++; add(...a); }) as typeof add;
    controller.signal.removeEventListener = ((...a: Parameters<typeof remove>) => { listeners--; remove(...a); }) as typeof remove;
    for (let i = 0; i < 20; i++) await sleep(1, controller.signal);
    expect(listeners).toBe(0);
    setTimeout(() => controller.abort(new Error('stop')), 20);
    const started = Date.now();
    await expect(retry(async () => { throw new Error('down'); }, { attempts: 10, initialDelayMs: 5_000, signal: controller.signal })).rejects.toThrow('stop');
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
