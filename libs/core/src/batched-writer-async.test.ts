import { describe, expect, it } from 'vitest';
import { BatchedWriter } from './batched-writer.js';

/** A database reached asynchronously: each write takes a few ms and can be told to fail. */
function slowSink() {
  const stored: number[] = [];
  const sink = {
    stored,
    fail: false,
    calls: 0,
    concurrent: 0,
    maxConcurrent: 0,
    async write(rows: number[]) {
      sink.calls++;
      sink.concurrent++;
      sink.maxConcurrent = Math.max(sink.maxConcurrent, sink.concurrent);
      try {
        await new Promise((r) => setTimeout(r, 5));
        if (sink.fail) throw new Error('server gone');
        stored.push(...rows);
      } finally {
        sink.concurrent--;
      }
    },
  };
  return sink;
}

describe('BatchedWriter with writeAsync', () => {
  it('writes in order, one write at a time, including rows enqueued while a write runs', async () => {
    const sink = slowSink();
    const writer = new BatchedWriter<number>({ name: 'test', writeAsync: (rows) => sink.write(rows), batchSize: 10, flushOnExit: false });
    for (let i = 0; i < 25; i++) writer.enqueue(i);
    const first = writer.flushAsync();
    for (let i = 25; i < 40; i++) writer.enqueue(i);
    await Promise.all([first, writer.flushAsync(), writer.flushAsync()]);
    expect(sink.stored).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(sink.maxConcurrent).toBe(1);
    expect(writer.stats()).toMatchObject({ enqueued: 40, written: 40, pending: 0 });
    expect(() => writer.flush()).toThrow(/asynchronously: use flushAsync/);
    await writer.closeAsync();
  });

  it('keeps the rows of a rejected write, retries them on the timer, and never throws into it', async () => {
    const sink = slowSink();
    const writer = new BatchedWriter<number>({ name: 'test', writeAsync: (rows) => sink.write(rows), batchSize: 4, flushIntervalMs: 10, maxBackoffMs: 20, flushOnExit: false });
    sink.fail = true;
    for (let i = 0; i < 10; i++) writer.enqueue(i);
    await expect(writer.flushAsync()).rejects.toThrow('server gone');
    expect(writer.pending).toBe(10);
    await new Promise((r) => setTimeout(r, 60));
    expect(writer.stats().failedWrites).toBeGreaterThan(1);
    sink.fail = false;
    await new Promise((r) => setTimeout(r, 80));
    expect(sink.stored).toEqual(Array.from({ length: 10 }, (_, i) => i));
    expect(writer.pending).toBe(0);
    await writer.closeAsync();
  });

  it('drop-oldest never drops a row that is being written', async () => {
    const sink = slowSink();
    const writer = new BatchedWriter<number>({ name: 'test', writeAsync: (rows) => sink.write(rows), batchSize: 3, maxPending: 5, flushOnExit: false });
    for (let i = 0; i < 5; i++) writer.enqueue(i);
    const running = writer.flushAsync(); // writes 0,1,2 first
    writer.enqueue(5); // full: drops 3, the oldest row not in flight
    await running;
    expect(sink.stored).toEqual([0, 1, 2, 4, 5]);
    expect(writer.stats().dropped).toBe(1);
    await writer.closeAsync();
  });

  it('needs exactly one of write and writeAsync', () => {
    expect(() => new BatchedWriter<number>({ name: 'x', flushOnExit: false })).toThrow(/exactly one of write and writeAsync/);
  });
});
