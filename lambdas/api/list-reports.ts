import { listReports } from '../../layers/core/jobs/list-reports';
import { getDeps } from '../shared/composition';
import { withHttp } from '../shared/http';

/** GET /api/v1/{model_plural}/export/reports/ → 200 {items: [{name, title, description, model}]}. */
export const handler = withHttp(async ({ principal, path }) => ({
  statusCode: 200,
  body: listReports(getDeps(), { perms: principal.perms, model: path.model_plural ?? '' }),
}));
