import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { APIGatewayAuthorizerResult, APIGatewayTokenAuthorizerEvent } from 'aws-lambda';
import { readEnv } from '../shared/env';
import { verifyToken } from '../shared/jwt';
import { log } from '../shared/log';

let secret: Promise<string> | undefined;

/** The signing secret: given directly (local stack) or read once from Secrets Manager. */
function signingSecret(): Promise<string> {
  const env = readEnv();
  if (env.JWT_SECRET) return Promise.resolve(env.JWT_SECRET);
  if (!env.JWT_SECRET_ARN) return Promise.reject(new Error('neither JWT_SECRET nor JWT_SECRET_ARN is set'));
  secret ??= new SecretsManagerClient({})
    .send(new GetSecretValueCommand({ SecretId: env.JWT_SECRET_ARN }))
    .then((result) => result.SecretString ?? '')
    .catch((error) => {
      secret = undefined;
      throw error;
    });
  return secret;
}

/**
 * TOKEN authorizer: a valid bearer token yields an Allow policy and the caller (`user`, `org`,
 * `perms`) as context; anything else is a 401 (API Gateway's answer to `Unauthorized`).
 */
export async function handler(event: APIGatewayTokenAuthorizerEvent): Promise<APIGatewayAuthorizerResult> {
  const env = readEnv();
  const match = /^Bearer\s+(\S+)$/i.exec(event.authorizationToken ?? '');
  try {
    if (!match) throw new Error('no bearer token');
    const principal = verifyToken(match[1]!, await signingSecret(), { issuer: env.JWT_ISSUER, audience: env.JWT_AUDIENCE });
    // Allow every method of this API: the handlers check permissions per model and action.
    const [arnPrefix, stage] = event.methodArn.split('/');
    return {
      principalId: principal.user,
      policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: `${arnPrefix}/${stage}/*` }] },
      context: { user: principal.user, org: principal.org, perms: principal.perms.join(' ') },
    };
  } catch (error) {
    log('info', 'token rejected', { reason: (error as Error).message });
    throw new Error('Unauthorized');
  }
}
