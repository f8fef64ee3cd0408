/**
 * With DATAIO_MEMORY_LOG=<file>, the local stack writes `process.memoryUsage()` as one JSON line
 * every 200 ms. RSS alone cannot tell V8's heap (objects that dataio's code and the emulators
 * allocate) from Buffers in flight (`arrayBuffers`: request and response bodies) or from memory
 * the allocator keeps but no longer uses; `npm run bench` reads the file to split its peaks.
 */
import fs from 'node:fs';

/** One sample: Date.now() and the fields of `process.memoryUsage()`, in bytes. */
export interface MemorySample {
  readonly t: number;
  readonly rss: number;
  readonly heapTotal: number;
  readonly heapUsed: number;
  readonly external: number;
  readonly arrayBuffers: number;
}

/** Starts sampling into `file`; returns a function that stops it. */
export function startMemoryLog(file: string, intervalMs = 200): () => void {
  const out = fs.createWriteStream(file, { flags: 'a' });
  const timer = setInterval(() => {
    const m = process.memoryUsage();
    const sample: MemorySample = { t: Date.now(), rss: m.rss, heapTotal: m.heapTotal, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers };
    out.write(`${JSON.stringify(sample)}\n`);
  }, intervalMs);
  timer.unref();
  return () => {
    clearInterval(timer);
    out.end();
  };
}
