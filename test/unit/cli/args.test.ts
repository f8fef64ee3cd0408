import { joinDashValues, loadFilter, parseExportArgs, parseImportArgs, parseJobArgs, parseJobsArgs, parseStartArgs, wantsHelp } from '../../../bin/cli/args';
import { UsageError } from '../../../bin/cli/errors';

describe('joinDashValues', () => {
  const options = { ordering: { type: 'string' as const }, out: { type: 'string' as const }, wait: { type: 'boolean' as const } };

  it('keeps a value that starts with a dash with its string option', () => {
    expect(joinDashValues(['--ordering', '-price,sku', 'x'], options)).toEqual(['--ordering=-price,sku', 'x']);
  });

  it('leaves a known option after a string option alone, so the missing value is reported', () => {
    expect(joinDashValues(['--out', '--wait'], options)).toEqual(['--out', '--wait']);
  });

  it('leaves values without a dash, boolean options and everything after -- as they are', () => {
    expect(joinDashValues(['--ordering', 'price', '--wait', '-x', '--', '--ordering', '-a'], options)).toEqual(['--ordering', 'price', '--wait', '-x', '--', '--ordering', '-a']);
  });
});

describe('parseImportArgs', () => {
  it('reads the model, the file and every flag', () => {
    const args = parseImportArgs(['contacts', 'c.csv', '--dry-run', '--skip-errors', '--wait', '--encoding', 'windows-1252', '--delimiter', ';', '--sheet', 'Data', '--no-skip-unchanged', '--upload', 'presigned', '--errors', '3', '--api', 'https://api.example.com/']);

    expect(args).toEqual({
      api: 'https://api.example.com/',
      org: undefined,
      user: undefined,
      model: 'contacts',
      file: 'c.csv',
      dryRun: true,
      skipErrors: true,
      skipUnchanged: false,
      encoding: 'windows-1252',
      delimiter: ';',
      sheet: 'Data',
      upload: 'presigned',
      wait: true,
      json: false,
      errors: 3,
    });
  });

  it('defaults to an automatic upload, no wait, ten row errors and the resource’s skip_unchanged', () => {
    const args = parseImportArgs(['products', 'p.xlsx']);

    expect(args).toMatchObject({ upload: 'auto', wait: false, dryRun: false, skipErrors: false, errors: 10 });
    expect(args).not.toHaveProperty('skipUnchanged');
  });

  it.each([
    [['contacts'], /missing <file>/],
    [[], /missing <model> <file>/],
    [['contacts', 'a.csv', 'b.csv'], /unexpected argument 'b.csv'/],
    [['contacts', 'a.csv', '--bogus'], /Unknown option '--bogus'/],
    [['contacts', 'a.csv', '--upload', 'ftp'], /--upload must be one of auto, direct, presigned/],
    [['contacts', 'a.csv', '--errors', '-1'], /--errors must be a whole number/],
    [['../etc', 'a.csv'], /not a model name/],
    [['contacts', 'a.csv', '--api', 'ftp://x'], /--api must be an http\(s\) URL/],
  ])('refuses %j', (argv, message) => {
    expect(() => parseImportArgs(argv)).toThrow(UsageError);
    expect(() => parseImportArgs(argv)).toThrow(message);
  });
});

describe('parseExportArgs', () => {
  it('splits --fields and --ordering on commas, and --ordering may start with a dash', () => {
    const args = parseExportArgs(['products', '--format', 'XLSX', '--fields', 'sku, name', '--ordering', '-price,sku', '--filter', '{"field":"price","op":"gte","value":"10"}']);

    expect(args).toMatchObject({ model: 'products', format: 'xlsx', fields: ['sku', 'name'], ordering: ['-price', 'sku'], filter: '{"field":"price","op":"gte","value":"10"}', wait: false });
  });

  it('accepts repeated --ordering flags in order', () => {
    expect(parseExportArgs(['products', '--ordering', '-price', '--ordering', 'sku']).ordering).toEqual(['-price', 'sku']);
  });

  it('defaults to CSV, and to PDF when a report is asked for', () => {
    expect(parseExportArgs(['products']).format).toBe('csv');
    expect(parseExportArgs(['products', '--report', 'price-list']).format).toBe('pdf');
  });

  it('waits when an output path is given', () => {
    expect(parseExportArgs(['products', '--out', 'p.csv'])).toMatchObject({ out: 'p.csv', wait: true });
  });

  it('refuses a report with a tabular format, an unknown format and a missing --out value', () => {
    expect(() => parseExportArgs(['products', '--report', 'price-list', '--format', 'csv'])).toThrow(/--report draws a PDF/);
    expect(() => parseExportArgs(['products', '--format', 'docx'])).toThrow(/--format must be one of csv, xlsx, pdf; got 'docx'/);
    expect(() => parseExportArgs(['products', '--out', '--wait'])).toThrow(UsageError);
  });
});

describe('parseJobsArgs', () => {
  it('takes statuses and types in any case, comma separated or repeated', () => {
    const args = parseJobsArgs(['--status', 'failed,Cancelled', '--status', 'running', '--type', 'import', '--limit', '5', '--model', 'contacts']);

    expect(args).toMatchObject({ statuses: ['FAILED', 'CANCELLED', 'RUNNING'], types: ['IMPORT'], limit: 5, model: 'contacts' });
  });

  it('refuses a status that does not exist', () => {
    expect(() => parseJobsArgs(['--status', 'done'])).toThrow(/--status must be one of pending, queued, running, completed, failed, cancelled; got 'done'/);
  });
});

describe('parseJobArgs and parseStartArgs', () => {
  it('needs exactly one job id that is path-safe', () => {
    expect(parseJobArgs('job', ['01kb0w8k1x7ez3n2m4c5q6r7s8', '--json'])).toMatchObject({ id: '01kb0w8k1x7ez3n2m4c5q6r7s8', json: true });
    expect(() => parseJobArgs('cancel', [])).toThrow(/missing <job_id>/);
    expect(() => parseJobArgs('job', ['../../x'])).toThrow(/not a job id/);
  });

  it('reads a port and a data folder for start', () => {
    expect(parseStartArgs(['--port', '4000', '--data-dir', '/tmp/d'])).toEqual({ port: 4000, dataDir: '/tmp/d' });
    expect(() => parseStartArgs(['--port', 'http'])).toThrow(/--port must be a whole number/);
  });

  it('sees --help before --, not after', () => {
    expect(wantsHelp(['contacts', '-h'])).toBe(true);
    expect(wantsHelp(['contacts', '--', '--help'])).toBe(false);
  });
});

describe('loadFilter', () => {
  const files: Record<string, string> = { 'f.json': '{"field":"sku","op":"eq","value":"A"}', 'bad.json': '{nope' };
  const readFile = (path: string) => {
    if (!(path in files)) throw new Error(`ENOENT: no such file, open '${path}'`);
    return files[path]!;
  };

  it('parses inline JSON without reading a file', () => {
    expect(loadFilter(' {"and":[]} ', () => fail('no file read'))).toEqual({ and: [] });
  });

  it('reads a file otherwise', () => {
    expect(loadFilter('f.json', readFile)).toEqual({ field: 'sku', op: 'eq', value: 'A' });
  });

  it('says which: bad inline JSON, bad JSON in a file, or no such file', () => {
    expect(() => loadFilter('{"field":', readFile)).toThrow(/--filter is not valid JSON/);
    expect(() => loadFilter('bad.json', readFile)).toThrow(/--filter file 'bad.json' does not hold valid JSON/);
    expect(() => loadFilter('missing.json', readFile)).toThrow(/--filter is neither JSON nor a readable file: ENOENT/);
  });
});
