/** Help texts, one per command; `dataio <command> --help` prints the command's. */
const CONNECTION = `connection (every command that calls the API):
  --api URL       the API (else DATAIO_API_URL, else the running local stack)
  --org ORG       local stack only: mint the token for this organization (else DATAIO_ORG, acme)
  --user USER     local stack only: mint the token for this user (else DATAIO_USER, your login)
  DATAIO_TOKEN    the bearer token; required with --api, optional for the local stack`;

const EXIT_CODES = `exit codes: 0 ok, 1 job FAILED or CANCELLED, 2 job COMPLETED with row errors,
  3 API error or no API to reach, 64 bad usage, 130 interrupted (the job keeps running)`;

export const USAGE: Record<string, string> = {
  main: `usage: dataio <command> [options]

commands:
  import <model> <file>   import a CSV/TSV/XLSX file          [--dry-run] [--skip-errors] [--wait]
  export <model>          export to CSV, XLSX or a PDF report  [--format csv|xlsx|pdf] [--wait] [--out path]
  jobs                    list jobs, newest first              [--status S] [--type T] [--model M]
  job <id>                show one job                         [--json]
  cancel <id>             cancel a job that has not ended
  token --org <org> --user <user> --perms <perms> [--ttl <seconds>]
                          print a token for the local stack (perms: comma or space separated, '*' for all)
  start                   start the local stack (same as npm start)  [--port N] [--data-dir DIR]

Run 'dataio <command> --help' for a command's options. Docs: docs/cli.md

${CONNECTION}

${EXIT_CODES}`,

  import: `usage: dataio import <model> <file> [options]

Uploads the file (multipart up to 4 MiB, else through a presigned S3 URL), starts the import and
prints the job id. With --wait, shows the progress and ends with the totals and the first row errors.

options:
  --dry-run              validate and report, write nothing
  --skip-errors          write the valid rows even when some rows fail
  --no-skip-unchanged    write rows equal to the stored record too
  --encoding NAME        CSV text encoding, e.g. windows-1252 (default utf-8)
  --delimiter D          CSV delimiter: ',', ';' or tab (default: detected)
  --sheet NAME           XLSX sheet (default: the first)
  --upload MODE          auto (default), direct (multipart) or presigned
  -w, --wait             wait for the job, show progress, exit with the job's outcome
  --errors N             row errors to print at the end (default 10)
  --json                 print JSON (the started job, or with --wait the finished job) instead of text

${CONNECTION}

${EXIT_CODES}`,

  export: `usage: dataio export <model> [options]

Starts an export and prints the job id. With --wait (or --out), waits and downloads the file.

options:
  -f, --format F         csv (default), xlsx or pdf (the default with --report)
  --filter JSON|FILE     a filter (docs/filters.md), inline JSON or a file holding it
  --report NAME          a PDF report of the model, e.g. price-list
  --fields a,b,c         the columns, in order
  --ordering -price,sku  sort order; a leading '-' sorts descending
  -o, --out PATH         where to write the file (a directory keeps the API's file name);
                         default: the API's file name in the current directory. Implies --wait
  -w, --wait             wait for the job and download the file
  --json                 print the job as JSON instead of text

${CONNECTION}

${EXIT_CODES}`,

  jobs: `usage: dataio jobs [options]

Lists jobs, newest first (all of the organization's with data-jobs:admin, else your own).

options:
  --status S[,S]         PENDING, QUEUED, RUNNING, COMPLETED, FAILED, CANCELLED (any case)
  --type T               import or export
  --model M              one model
  --limit N              at most N jobs (default 20)
  --json                 print a JSON array

${CONNECTION}`,

  job: `usage: dataio job <id> [--json] [--errors N]

Shows a job: status, progress, totals, warnings, row errors, download links.

${CONNECTION}`,

  cancel: `usage: dataio cancel <id> [--json]

Cancels a job that has not ended: its execution stops, rows not yet written are never written.

${CONNECTION}`,

  token: `usage: dataio token --org <org> --user <user> --perms <perms> [--ttl <seconds>]

Prints a token for the local stack, signed with its secret (.dataio/jwt-secret).`,

  start: `usage: dataio start [--port N] [--data-dir DIR]

Starts the local stack, as npm start does: the API on PORT (default 3000), DynamoDB Local, S3 and
Step Functions on the next three ports, data in DIR (default .dataio).`,
};
