import { compareJson, compareOutput, extractExamples, parseJsonSequence, runExamples } from '../support/doc-examples';

const DOC = [
  'Intro.',
  '```sh',
  '# test: run',
  'greeting=hello',
  'echo "{\\"word\\": \\"$greeting\\", \\"n\\": 2}"',
  '```',
  '',
  '```json',
  '{"word": "hello", "n": 2}',
  '```',
  '',
  '```sh',
  'echo not run: no marker',
  '```',
  '',
  '- a list item',
  '  ```sh',
  '  # test: run',
  '  printf "%s\\n" "$greeting, world" 201',
  '  ```',
  '',
  '  ```text',
  '  …, world',
  '  201',
  '  ```',
  '```bash',
  '# test: run',
  'false',
  'echo never',
  '```',
].join('\n');

describe('doc examples', () => {
  it('finds the marked shell blocks and the output block right after each', () => {
    const examples = extractExamples(DOC);

    expect(examples.map((e) => [e.line, e.expected?.lang ?? null])).toEqual([[2, 'json'], [17, 'text'], [26, null]]);
    expect(examples[1]!.code).toBe('# test: run\nprintf "%s\\n" "$greeting, world" 201');
    expect(examples[1]!.expected!.text).toBe('…, world\n201');
  });

  it('runs them in one bash, in order, and stops at the first failing command', async () => {
    const examples = extractExamples(DOC);

    const result = await runExamples(examples, { cwd: process.cwd(), env: {}, timeoutMs: 20_000 });

    expect(result.runs.map((r) => r.finished)).toEqual([true, true, false]);
    expect(result.exitCode).not.toBe(0);
    expect(compareOutput(examples[0]!.expected!, result.runs[0]!.stdout)).toEqual([]);
    expect(compareOutput(examples[1]!.expected!, result.runs[1]!.stdout)).toEqual([]);
    expect(result.runs[2]!.stdout).not.toContain('never');
  });

  it('matches … as any value or any characters, and everything else exactly', () => {
    expect(compareJson({ id: '…', url: 'http…/x?…', n: 1 }, { id: 7, url: 'https://h/x?a=b', n: 1 })).toEqual([]);
    expect(compareJson({ n: 1 }, { n: 2 })).toEqual(['$.n: expected 1, got 2']);
    expect(compareJson({ a: 1 }, { a: 1, b: 2 })).toEqual(['$.b: not in the doc (2)']);
    expect(compareJson({ a: 1, b: '…' }, { a: 1 })).toEqual(['$.b: missing']);
    expect(compareJson([1, 2], [1])).toHaveLength(1);
    expect(compareJson({ url: 'http…/x' }, { url: 'https://h/y' })).toHaveLength(1);
    expect(compareOutput({ lang: 'text', text: 'a…', line: 1 }, 'b\n')).toHaveLength(1);
    expect(compareOutput({ lang: 'json', text: '{}', line: 1 }, 'not json')).toEqual([expect.stringContaining('not JSON')]);
  });

  it('reads several JSON values one after another, pretty or compact', () => {
    expect(parseJsonSequence('401\n{\n  "a": [1,\n 2]\n}\n"x"\n')).toEqual([401, { a: [1, 2] }, 'x']);
    expect(() => parseJsonSequence('{"a":')).toThrow('not JSON');
  });
});
