import { readFileSync } from 'node:fs';
import { readLocalStateFile } from '../../bin/cli/local-state';
import { startLocalStackProcess, type LocalStackProcess } from '../support/local-stack-process';

jest.setTimeout(180_000);

/** The process ids under `pid`, from /proc (every thread's children). */
function descendants(pid: number): number[] {
  const out: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const next = queue.shift()!;
    let children: number[] = [];
    try {
      children = readFileSync(`/proc/${next}/task/${next}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    } catch {
      // gone
    }
    out.push(...children);
    queue.push(...children);
  }
  return out;
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const environOf = (pid: number): string[] => readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');

(process.platform === 'linux' ? describe : describe.skip)('npm start launcher (bin/local.js)', () => {
  let stack: LocalStackProcess;

  beforeAll(async () => {
    stack = await startLocalStackProcess();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('runs the stack in a child process with two malloc arenas, recorded in local.json', () => {
    const state = readLocalStateFile(stack.dataDir);

    expect(state?.pid).toBeDefined();
    expect(state!.pid).not.toBe(stack.pid);
    expect(descendants(stack.pid)).toContain(state!.pid);
    expect(environOf(state!.pid)).toContain('MALLOC_ARENA_MAX=2');
    expect(environOf(stack.pid)).not.toContain('MALLOC_ARENA_MAX=2');
  });

  it('takes the stack and its emulators down when the launcher is killed outright', async () => {
    const tree = descendants(stack.pid);
    expect(tree.length).toBeGreaterThanOrEqual(3); // the stack, DynamoDB Local, s3rver

    process.kill(stack.pid, 'SIGKILL');
    const deadline = Date.now() + 30_000;
    while (tree.some(alive) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 250));

    expect(tree.filter(alive)).toEqual([]);
    expect(readLocalStateFile(stack.dataDir)).toBeUndefined();
  });
});
