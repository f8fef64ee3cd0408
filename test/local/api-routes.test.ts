import { RouteTable } from '../../lib/local/api-routes';
import type { LocalRoute } from '../../lib/local/local-model';
import { buildLocalModel } from '../../lib/local/local-model';
import { fixtureStacks } from './fixture-stacks';

const route = (method: string, pathTemplate: string, functionLogicalId = `${method} ${pathTemplate}`): LocalRoute =>
  ({ method, pathTemplate, functionLogicalId, authorizationType: 'NONE' });

describe('RouteTable', () => {
  const table = new RouteTable([
    route('GET', '/'),
    route('GET', '/data-jobs/{job_id}'),
    route('GET', '/data-jobs/stats'),
    route('POST', '/{model_plural}/import'),
    route('GET', '/{model_plural}/import'),
    route('ANY', '/files/{proxy+}'),
    route('GET', '/files/{proxy+}'),
  ]);

  it('matches with or without a trailing slash', () => {
    expect(table.match('GET', '/data-jobs/j1')?.route.pathTemplate).toBe('/data-jobs/{job_id}');
    expect(table.match('GET', '/data-jobs/j1/')?.route.pathTemplate).toBe('/data-jobs/{job_id}');
    expect(table.match('GET', '/')?.route.pathTemplate).toBe('/');
    expect(table.match('GET', '')?.route.pathTemplate).toBe('/');
  });

  it('extracts decoded path parameters, null when there are none', () => {
    expect(table.match('GET', '/data-jobs/a%20b')?.pathParameters).toEqual({ job_id: 'a b' });
    expect(table.match('POST', '/products/import')?.pathParameters).toEqual({ model_plural: 'products' });
    expect(table.match('GET', '/')?.pathParameters).toBeNull();
  });

  it('prefers a static segment over a {param}', () => {
    expect(table.match('GET', '/data-jobs/stats')?.route.functionLogicalId).toBe('GET /data-jobs/stats');
    expect(table.match('GET', '/data-jobs/other')?.route.functionLogicalId).toBe('GET /data-jobs/{job_id}');
  });

  it('resolves the resource first, then the method (no fallback to a less specific resource)', () => {
    // /data-jobs/import is the {job_id} resource, which has no POST, even though {model_plural}/import has one.
    expect(table.match('POST', '/data-jobs/import')).toBeUndefined();
    expect(table.match('POST', '/contacts/import')?.route.method).toBe('POST');
  });

  it('matches greedy {proxy+} paths and prefers an exact method over ANY', () => {
    expect(table.match('GET', '/files/a/b/c.csv')).toMatchObject({ route: { method: 'GET' }, pathParameters: { proxy: 'a/b/c.csv' } });
    expect(table.match('DELETE', '/files/x')?.route.method).toBe('ANY');
    expect(table.match('GET', '/files')).toBeUndefined();
  });

  it('returns undefined for unknown paths and methods', () => {
    expect(table.match('GET', '/nope/nope/nope')).toBeUndefined();
    expect(table.match('DELETE', '/data-jobs/j1')).toBeUndefined();
  });

  it('routes the fixture template', () => {
    const fixture = new RouteTable(buildLocalModel(fixtureStacks()).api.routes);
    expect(fixture.match('POST', '/data-jobs/j1/cancel/')).toMatchObject({ route: { functionLogicalId: 'EchoFn11111111' }, pathParameters: { job_id: 'j1' } });
    expect(fixture.match('GET', '/data-jobs/stats')?.route.functionLogicalId).toBe('StatsFn22222222');
  });
});
