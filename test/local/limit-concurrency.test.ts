import { limitConcurrency, type LambdaInvoker } from '../../lib/local/lambda-invoker';

describe('limitConcurrency', () => {
  it('runs at most `limit` invocations at once and runs them all', async () => {
    let running = 0;
    let peak = 0;
    const inner: LambdaInvoker = {
      invoke: async (_id, event) => {
        running += 1;
        peak = Math.max(peak, running);
        await new Promise((resolve) => setTimeout(resolve, 5));
        running -= 1;
        return event;
      },
    };
    const limited = limitConcurrency(inner, 3);

    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => limited.invoke('Fn', i)));

    expect(peak).toBe(3);
    expect(results).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('frees the slot when an invocation fails', async () => {
    const limited = limitConcurrency({ invoke: async (_id, event) => { if (event === 'boom') throw new Error('boom'); return event; } }, 1);

    await expect(limited.invoke('Fn', 'boom')).rejects.toThrow('boom');
    await expect(limited.invoke('Fn', 'ok')).resolves.toBe('ok');
  });
});
