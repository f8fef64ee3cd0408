import * as cdk from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { DataioFunction } from './dataio-function';
import { authorizerIdentity, type DataioIdentity } from './dataio-identity';
import { acknowledgeNag } from './nag-acknowledgements';
import { assertPositiveInteger } from './workflow-function';

export interface DataioApiProps {
  /** The DataJob table. */
  readonly jobsTable: dynamodb.ITable;

  /** The business records table (read by the export preview). */
  readonly recordsTable: dynamodb.ITable;

  /** The files bucket (presigned uploads and downloads). */
  readonly filesBucket: s3.IBucket;

  /** HS256 key the authorizer verifies bearer tokens with (unused when `identity.jwksUrl` is set). */
  readonly jwtSecret: secretsmanager.ISecret;

  /**
   * The identity provider whose tokens the authorizer accepts (see `DataioIdentity`, and
   * `cognitoIdentity()` for a Cognito user pool).
   * @default - dataio's own HS256 tokens signed with `jwtSecret`
   */
  readonly identity?: DataioIdentity;

  /** State machine that runs import jobs. */
  readonly importStateMachine: sfn.IStateMachine;

  /** State machine that runs export jobs. */
  readonly exportStateMachine: sfn.IStateMachine;

  /**
   * Expected `iss` claim of bearer tokens.
   * @default 'dataio'
   */
  readonly jwtIssuer?: string;

  /**
   * Expected `aud` claim of bearer tokens.
   * @default 'dataio-api'
   */
  readonly jwtAudience?: string;

  /**
   * Lifetime of the presigned download URL returned by `GET /data-jobs/{job_id}`.
   * @default 900
   */
  readonly downloadUrlTtlSeconds?: number;

  /**
   * Lifetime of the presigned upload URL returned by `POST /{model_plural}/import/uploads`.
   * @default 900
   */
  readonly uploadUrlTtlSeconds?: number;

  /**
   * Largest import file accepted from a presigned upload, in bytes. A single S3 PUT stores at
   * most 5 GiB, so a larger limit cannot be reached.
   * @default 5 GiB
   */
  readonly maxUploadBytes?: number;

  /**
   * Steady-state requests per second on the stage.
   * @default 100
   */
  readonly throttlingRateLimit?: number;

  /**
   * Burst requests on the stage.
   * @default 200
   */
  readonly throttlingBurstLimit?: number;

  /**
   * Origin allowed by CORS, in preflight and gateway error responses (the handlers set it on
   * their own responses).
   * @default '*'
   */
  readonly allowOrigin?: string;

  /**
   * Retention of the access log and the API functions' log groups.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
}

/** The API's handler functions, by endpoint. */
export interface DataioApiFunctions {
  readonly authorizer: DataioFunction;
  readonly createExport: DataioFunction;
  readonly previewExport: DataioFunction;
  readonly createImport: DataioFunction;
  readonly createUpload: DataioFunction;
  readonly cancelJob: DataioFunction;
  readonly getJob: DataioFunction;
  readonly listJobs: DataioFunction;
  readonly listReports: DataioFunction;
  readonly openApi: DataioFunction;
}

const CORS_ALLOW_HEADERS = ['Authorization', 'Content-Type'];

// S3 presigned URLs cannot outlive 7 days.
const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;

// S3 stores at most 5 GiB with one PUT, which is what a presigned upload is.
const MAX_SINGLE_PUT_BYTES = 5 * 1024 ** 3;

/**
 * One JSON line per request: who (the authorizer's user and organization, the source IP), what
 * (method, route, status, sizes), how long, and why a request was refused before a handler
 * (authorizer or gateway error). Never the token, the body or the query string.
 */
const ACCESS_LOG_FORMAT = apigateway.AccessLogFormat.custom(
  JSON.stringify({
    requestId: apigateway.AccessLogField.contextRequestId(),
    extendedRequestId: apigateway.AccessLogField.contextExtendedRequestId(),
    requestTime: apigateway.AccessLogField.contextRequestTime(),
    ip: apigateway.AccessLogField.contextIdentitySourceIp(),
    userAgent: apigateway.AccessLogField.contextIdentityUserAgent(),
    user: apigateway.AccessLogField.contextAuthorizerPrincipalId(),
    org: apigateway.AccessLogField.contextAuthorizer('org'),
    httpMethod: apigateway.AccessLogField.contextHttpMethod(),
    resourcePath: apigateway.AccessLogField.contextResourcePath(),
    status: apigateway.AccessLogField.contextStatus(),
    protocol: apigateway.AccessLogField.contextProtocol(),
    responseLength: apigateway.AccessLogField.contextResponseLength(),
    responseLatency: apigateway.AccessLogField.contextResponseLatency(),
    integrationLatency: apigateway.AccessLogField.contextIntegrationLatency(),
    authorizerError: apigateway.AccessLogField.contextAuthorizerError(),
    errorType: apigateway.AccessLogField.contextErrorResponseType(),
    errorMessage: apigateway.AccessLogField.contextErrorMessage(),
  }),
);

/** Error bodies API Gateway itself returns, in the same shape as the handlers' errors. */
const GATEWAY_ERRORS: Array<{ id: string; type: apigateway.ResponseType; statusCode?: string; code: string }> = [
  { id: 'Unauthorized', type: apigateway.ResponseType.UNAUTHORIZED, statusCode: '401', code: 'unauthorized' },
  { id: 'AccessDenied', type: apigateway.ResponseType.ACCESS_DENIED, statusCode: '403', code: 'forbidden' },
  // What the request validator refuses, with the code the handlers give invalid input.
  { id: 'BadRequestParameters', type: apigateway.ResponseType.BAD_REQUEST_PARAMETERS, statusCode: '400', code: 'validation_error' },
  { id: 'BadRequestBody', type: apigateway.ResponseType.BAD_REQUEST_BODY, statusCode: '400', code: 'validation_error' },
  { id: 'Default4xx', type: apigateway.ResponseType.DEFAULT_4XX, code: 'bad_request' },
  { id: 'Default5xx', type: apigateway.ResponseType.DEFAULT_5XX, code: 'internal_error' },
];

/**
 * The dataio REST API (`dataio-api`, stage `prod`): every method runs behind a JWT TOKEN
 * authorizer and proxies to one thin handler.
 *
 * - `POST /api/v1/{model_plural}/export`         → create-export
 * - `POST /api/v1/{model_plural}/export/preview` → preview-export
 * - `GET  /api/v1/{model_plural}/export/reports` → list-reports
 * - `POST /api/v1/{model_plural}/import`         → create-import
 * - `POST /api/v1/{model_plural}/import/uploads` → create-upload
 * - `GET  /api/v1/data-jobs`                     → list-jobs
 * - `GET  /api/v1/data-jobs/{job_id}`            → get-job
 * - `POST /api/v1/data-jobs/{job_id}/cancel`     → cancel-job
 * - `GET  /api/v1/openapi.json`                  → openapi (no token: the API's description, no data)
 */
export class DataioApi extends Construct {
  public readonly api: apigateway.RestApi;
  public readonly authorizer: apigateway.TokenAuthorizer;
  public readonly accessLogGroup: logs.LogGroup;
  /** Checks each method's declared parameters (and a JSON body where a method has a model). */
  public readonly requestValidator: apigateway.RequestValidator;
  public readonly functions: DataioApiFunctions;

  constructor(scope: Construct, id: string, props: DataioApiProps) {
    super(scope, id);
    const downloadUrlTtlSeconds = props.downloadUrlTtlSeconds ?? 900;
    const uploadUrlTtlSeconds = props.uploadUrlTtlSeconds ?? 900;
    const maxUploadBytes = props.maxUploadBytes ?? MAX_SINGLE_PUT_BYTES;
    const rateLimit = props.throttlingRateLimit ?? 100;
    const burstLimit = props.throttlingBurstLimit ?? 200;
    assertPositiveInteger('downloadUrlTtlSeconds', downloadUrlTtlSeconds, MAX_PRESIGN_SECONDS);
    assertPositiveInteger('uploadUrlTtlSeconds', uploadUrlTtlSeconds, MAX_PRESIGN_SECONDS);
    assertPositiveInteger('maxUploadBytes', maxUploadBytes, MAX_SINGLE_PUT_BYTES);
    assertPositiveInteger('throttlingBurstLimit', burstLimit);
    if (!(rateLimit > 0)) throw new Error(`throttlingRateLimit must be positive, got ${rateLimit}`);
    const allowOrigin = props.allowOrigin ?? '*';
    if (allowOrigin.trim() === '') throw new Error('allowOrigin must be "*" or an origin URL');

    const apiFunction = (fnId: string, file: string) =>
      new DataioFunction(this, fnId, {
        entry: `lambdas/api/${file}`,
        timeout: cdk.Duration.seconds(29),
        logRetention: props.logRetention,
      });
    this.functions = {
      authorizer: authorizerFunction(apiFunction('AuthorizerFunction', 'authorizer.ts'), props),
      // Creating a job: put it, record QUEUED (or FAILED), re-read it when that races the workflow.
      createExport: apiFunction('CreateExportFunction', 'create-export.ts')
        .bindJobsTable(props.jobsTable, { actions: ['PutItem', 'UpdateItem', 'GetItem'] })
        .bindStateMachine('export', props.exportStateMachine),
      // A preview reads records and answers: no job, no file, no workflow.
      previewExport: apiFunction('PreviewExportFunction', 'preview-export.ts').bindRecordsTable(props.recordsTable, { actions: ['Query', 'BatchGetItem'] }),
      // Reads a presigned upload in place (its meta.json, a HEAD of the file) or stores a direct
      // one under imports/<org>/<job>/input/. ListBucket makes a missing upload a 404 (a clear
      // "unknown upload_id") instead of S3's 403.
      createImport: apiFunction('CreateImportFunction', 'create-import.ts')
        .bindJobsTable(props.jobsTable, { actions: ['PutItem', 'UpdateItem', 'GetItem'] })
        .bindFilesBucket(props.filesBucket, { read: ['uploads/*'], write: ['imports/*/*/input/*'], listBucket: true })
        .bindStateMachine('import', props.importStateMachine),
      // Signing a presigned PUT needs the right to PUT; meta.json is written under the same prefix.
      createUpload: apiFunction('CreateUploadFunction', 'create-upload.ts').bindFilesBucket(props.filesBucket, { write: ['uploads/*'] }),
      // A cancelled job has no output or error report to presign: no bucket access.
      cancelJob: apiFunction('CancelJobFunction', 'cancel-job.ts')
        .bindJobsTable(props.jobsTable, { actions: ['GetItem', 'UpdateItem'] })
        .allowStoppingExecutions(props.importStateMachine, props.exportStateMachine),
      // Presigns the export output and the import error report: nothing else of the bucket.
      getJob: apiFunction('GetJobFunction', 'get-job.ts')
        .bindJobsTable(props.jobsTable, { actions: ['GetItem'] })
        .bindFilesBucket(props.filesBucket, { read: ['exports/*', 'imports/*/*/errors/*'] }),
      listJobs: apiFunction('ListJobsFunction', 'list-jobs.ts').bindJobsTable(props.jobsTable, { actions: ['Query'] }),
      // The report registry is code: no table, no bucket.
      listReports: apiFunction('ListReportsFunction', 'list-reports.ts'),
      // The document is generated from code: no table, no bucket.
      openApi: apiFunction('OpenApiFunction', 'openapi.ts'),
    };
    this.functions.getJob.addEnvironment('DOWNLOAD_URL_TTL_SECONDS', String(downloadUrlTtlSeconds));
    this.functions.createUpload.addEnvironment('UPLOAD_URL_TTL_SECONDS', String(uploadUrlTtlSeconds));
    this.functions.createImport.addEnvironment('MAX_UPLOAD_BYTES', String(maxUploadBytes));

    this.authorizer = new apigateway.TokenAuthorizer(this, 'JwtAuthorizer', {
      authorizerName: 'dataio-jwt',
      handler: this.functions.authorizer,
      identitySource: apigateway.IdentitySource.header('Authorization'),
      // Tokens are cheap to verify; caching would also need the policy to cover every method.
      resultsCacheTtl: cdk.Duration.seconds(0),
    });

    this.accessLogGroup = new logs.LogGroup(this, 'AccessLogs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: cdk.RemovalPolicy.DESTROY,
    });

    this.api = new apigateway.RestApi(this, 'RestApi', {
      restApiName: 'dataio-api',
      description: 'dataio bulk import/export API',
      endpointTypes: [apigateway.EndpointType.REGIONAL],
      binaryMediaTypes: ['multipart/form-data', 'application/octet-stream'],
      // Stage access logs need the account-level CloudWatch role.
      cloudWatchRole: true,
      deployOptions: {
        stageName: 'prod',
        throttlingRateLimit: rateLimit,
        throttlingBurstLimit: burstLimit,
        tracingEnabled: true,
        loggingLevel: apigateway.MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        accessLogDestination: new apigateway.LogGroupLogDestination(this.accessLogGroup),
        accessLogFormat: ACCESS_LOG_FORMAT,
      },
      defaultMethodOptions: {
        authorizationType: apigateway.AuthorizationType.CUSTOM,
        authorizer: this.authorizer,
      },
      defaultCorsPreflightOptions: {
        allowOrigins: [allowOrigin],
        allowMethods: ['GET', 'POST', 'OPTIONS'],
        allowHeaders: CORS_ALLOW_HEADERS,
      },
    });

    // API Gateway checks the parameters each method declares (its path parameters) before the
    // authorizer's answer reaches a handler. Bodies are validated by the handlers' zod schemas,
    // the one definition of each body (detailed errors, multipart and binary uploads included);
    // a method can add a JSON model, which this validator then enforces too.
    this.requestValidator = this.api.addRequestValidator('RequestValidator', {
      requestValidatorName: 'dataio-params-and-bodies',
      validateRequestParameters: true,
      validateRequestBody: true,
    });
    const validated = (...pathParameters: string[]): apigateway.MethodOptions => ({
      requestValidator: this.requestValidator,
      requestParameters: Object.fromEntries(pathParameters.map((name) => [`method.request.path.${name}`, true])),
    });
    const modelParams = validated('model_plural');
    const jobParams = validated('job_id');

    const v1 = this.api.root.addResource('api').addResource('v1');
    const model = v1.addResource('{model_plural}');
    const modelExport = model.addResource('export');
    modelExport.addMethod('POST', proxy(this.functions.createExport), modelParams);
    modelExport.addResource('preview').addMethod('POST', proxy(this.functions.previewExport), modelParams);
    modelExport.addResource('reports').addMethod('GET', proxy(this.functions.listReports), modelParams);
    const modelImport = model.addResource('import');
    modelImport.addMethod('POST', proxy(this.functions.createImport), modelParams);
    modelImport.addResource('uploads').addMethod('POST', proxy(this.functions.createUpload), modelParams);
    const dataJobs = v1.addResource('data-jobs');
    dataJobs.addMethod('GET', proxy(this.functions.listJobs), validated());
    const job = dataJobs.addResource('{job_id}');
    job.addMethod('GET', proxy(this.functions.getJob), jobParams);
    job.addResource('cancel').addMethod('POST', proxy(this.functions.cancelJob), jobParams);
    // API docs are public so tools can fetch them before they hold a token; they hold no data.
    const openApi = v1.addResource('openapi.json').addMethod('GET', proxy(this.functions.openApi), { authorizationType: apigateway.AuthorizationType.NONE });
    cdk.Validations.of(openApi).acknowledge({ id: 'AwsSolutions-APIG4', reason: 'The OpenAPI document is public on purpose: it describes the API, the same for every organization, and holds no data.' });
    cdk.Validations.of(openApi).acknowledge({ id: 'AwsSolutions-COG4', reason: 'The OpenAPI document is public on purpose: no authorizer at all.' });

    acknowledgeNag(
      this.api,
      'AwsSolutions-COG4',
      'Every method but the public OpenAPI document runs behind the JWT TOKEN authorizer, which verifies tokens of a Cognito user pool (or any OIDC provider) against its JWKS, or dataio\'s own HS256 tokens: one authorizer for the local stack and the cloud (docs/security.md).',
    );
    acknowledgeNag(
      this.api,
      'AwsSolutions-APIG3',
      'No WAF web ACL by default: every request needs a verified token, and the stage throttles (throttlingRateLimit/throttlingBurstLimit). A deployment facing hostile traffic associates its own web ACL with the stage (docs/security.md).',
    );
    acknowledgeNag(
      this.api,
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      'The account-level role API Gateway needs to write the stage\'s access and execution logs; AWS maintains this managed policy for exactly that purpose.',
    );

    const corsHeaders = {
      'Access-Control-Allow-Origin': `'${allowOrigin}'`,
      'Access-Control-Allow-Headers': `'${CORS_ALLOW_HEADERS.join(',')}'`,
    };
    for (const { id: responseId, type, statusCode, code } of GATEWAY_ERRORS) {
      this.api.addGatewayResponse(responseId, {
        type,
        statusCode,
        responseHeaders: corsHeaders,
        templates: {
          // $context.error.messageString is already a quoted JSON string.
          'application/json': `{"error":{"code":"${code}","message":$context.error.messageString,"details":null}}`,
        },
      });
    }
  }
}

/** The authorizer of the identity setting: its environment, and the JWT secret only when it verifies HS256. */
function authorizerFunction(fn: DataioFunction, props: DataioApiProps): DataioFunction {
  const identity = authorizerIdentity(props.identity, { issuer: props.jwtIssuer, audience: props.jwtAudience });
  if (identity.usesSecret) fn.bindJwtSecret(props.jwtSecret);
  for (const [name, value] of Object.entries(identity.environment)) fn.addEnvironment(name, value);
  return fn;
}

function proxy(fn: DataioFunction): apigateway.LambdaIntegration {
  return new apigateway.LambdaIntegration(fn, { proxy: true });
}
