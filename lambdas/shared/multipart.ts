import busboy from 'busboy';
import { ValidationError } from '../../layers/core/errors';

/** A multipart/form-data body: its text fields and its one file. */
export interface MultipartForm {
  readonly fields: Record<string, string>;
  readonly file?: { readonly field: string; readonly filename: string; readonly contentType: string; readonly body: Buffer };
}

/** Parses a multipart/form-data body held in memory (API Gateway delivers it whole). */
export function parseMultipart(body: Buffer, contentType: string | undefined): Promise<MultipartForm> {
  if (!contentType || !contentType.toLowerCase().startsWith('multipart/form-data')) {
    return Promise.reject(new ValidationError('expected a multipart/form-data body with a "file" part'));
  }
  return new Promise((resolve, reject) => {
    const fields: Record<string, string> = {};
    let file: MultipartForm['file'];
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers: { 'content-type': contentType }, limits: { files: 1, fields: 20 } });
    } catch (error) {
      reject(new ValidationError('the multipart body is malformed', undefined, { cause: error }));
      return;
    }
    parser.on('field', (name, value) => (fields[name] = value));
    parser.on('file', (field, stream, info) => {
      const parts: Buffer[] = [];
      stream.on('data', (data: Buffer) => parts.push(data));
      stream.on('end', () => (file = { field, filename: info.filename ?? 'upload', contentType: info.mimeType, body: Buffer.concat(parts) }));
    });
    parser.on('error', (error) => reject(new ValidationError('the multipart body is malformed', undefined, { cause: error })));
    parser.on('close', () => resolve({ fields, file }));
    parser.end(body);
  });
}
