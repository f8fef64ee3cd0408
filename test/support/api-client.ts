/* eslint-disable @typescript-eslint/no-explicit-any -- a test client reads arbitrary JSON answers */
/** A minimal client of the dataio REST API, as a user's script would write it. */
export class ApiClient {
  constructor(
    readonly baseUrl: string,
    readonly token?: string,
  ) {}

  withToken(token: string | undefined): ApiClient {
    return new ApiClient(this.baseUrl, token);
  }

  async request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any; headers: Headers }> {
    const init: RequestInit = { method, headers: { ...(this.token ? { authorization: `Bearer ${this.token}` } : {}), ...headers } };
    if (body instanceof FormData) init.body = body;
    else if (body !== undefined) {
      init.body = JSON.stringify(body);
      (init.headers as Record<string, string>)['content-type'] = 'application/json';
    }
    const response = await fetch(`${this.baseUrl.replace(/\/$/, '')}${path}`, init);
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON
    }
    return { status: response.status, body: parsed, headers: response.headers };
  }

  /** Starts an import of a CSV file with the multipart route. */
  async importCsv(model: string, filename: string, content: string | Buffer, options: { dry_run?: boolean; skip_errors?: boolean } = {}) {
    const form = new FormData();
    form.append('file', new Blob([content], { type: 'text/csv' }), filename);
    if (options.dry_run !== undefined) form.append('dry_run', String(options.dry_run));
    if (options.skip_errors !== undefined) form.append('skip_errors', String(options.skip_errors));
    return this.request('POST', `/api/v1/${model}/import/`, form);
  }

  /** Polls a job until it reaches a final status. */
  async waitForJob(jobId: string, timeoutMs = 60000): Promise<any> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { status, body } = await this.request('GET', `/api/v1/data-jobs/${jobId}/`);
      if (status !== 200) throw new Error(`GET job ${jobId} answered ${status}: ${JSON.stringify(body)}`);
      if (['COMPLETED', 'FAILED', 'CANCELLED'].includes(body.status)) return body;
      if (Date.now() > deadline) throw new Error(`job ${jobId} still ${body.status} after ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  /** Exports a model to CSV and returns the finished job and the downloaded text. */
  async exportCsv(model: string, body: Record<string, unknown> = {}): Promise<{ job: any; csv: string }> {
    const started = await this.request('POST', `/api/v1/${model}/export/`, { format: 'csv', ...body });
    if (started.status !== 202) throw new Error(`export answered ${started.status}: ${JSON.stringify(started.body)}`);
    const job = await this.waitForJob(started.body.job_id);
    if (job.status !== 'COMPLETED') throw new Error(`export ended ${job.status}: ${JSON.stringify(job.result_log)}`);
    const download = await fetch(job.output_file.download_url);
    return { job, csv: await download.text() };
  }
}

/** Downloads a presigned URL's file, as a browser would follow a `download_url`. */
export async function downloadFile(url: string): Promise<Buffer> {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  return Buffer.from(await response.arrayBuffer());
}
