import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Reads a PDF with poppler-utils (`pdftotext`, `pdfinfo`, `pdftoppm`), as a person's viewer would. */
export class PdfFile {
  private readonly dir = mkdtempSync(join(tmpdir(), 'dataio-pdf-'));
  private readonly path = join(this.dir, 'file.pdf');

  constructor(bytes: Uint8Array) {
    writeFileSync(this.path, bytes);
  }

  /** The text of every page, or of page `page` (1-based), in reading order with layout kept. */
  text(page?: number): string {
    const range = page === undefined ? [] : ['-f', String(page), '-l', String(page)];
    return execFileSync('pdftotext', ['-layout', ...range, this.path, '-'], { encoding: 'utf8' });
  }

  pageCount(): number {
    return Number(/Pages:\s+(\d+)/.exec(execFileSync('pdfinfo', [this.path], { encoding: 'utf8' }))![1]);
  }

  /** Page 1 rendered to PNG at 60 dpi. */
  firstPagePng(): Buffer {
    execFileSync('pdftoppm', ['-png', '-r', '60', '-f', '1', '-l', '1', '-singlefile', this.path, join(this.dir, 'page')]);
    return readFileSync(join(this.dir, 'page.png'));
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
