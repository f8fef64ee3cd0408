import type { APIGatewayProxyResult } from 'aws-lambda';
import { errorToHttp } from '../shared/errors-to-http';
import { log } from '../shared/log';
import { openApiDocument } from '../shared/openapi';

/**
 * GET /api/v1/openapi.json → 200 with the OpenAPI 3.1 document. No token is needed: the document
 * describes the API (the same for every organization), not anyone's data, and tools such as
 * Swagger UI or client generators fetch it before they have credentials.
 */
export async function handler(): Promise<APIGatewayProxyResult> {
  try {
    return {
      statusCode: 200,
      headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'public, max-age=300' },
      body: JSON.stringify(openApiDocument()),
    };
  } catch (error) {
    log('error', 'OpenAPI document failed', { error: String(error), stack: (error as Error)?.stack });
    const { statusCode, body } = errorToHttp(error);
    return { statusCode, headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' }, body: JSON.stringify(body) };
  }
}
