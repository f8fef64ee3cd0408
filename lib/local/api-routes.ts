/**
 * Matches request paths against the REST API resources of the template, with API Gateway's
 * precedence: a static path part beats a `{param}`, which beats a greedy `{proxy+}`.
 */
import type { LocalRoute } from './local-model';

export interface RouteMatch {
  readonly route: LocalRoute;
  /** Decoded path parameters, or null when the resource has none (as API Gateway sends them). */
  readonly pathParameters: Record<string, string> | null;
}

type Segment = { kind: 'static'; value: string } | { kind: 'param'; name: string } | { kind: 'greedy'; name: string };

interface CompiledRoute {
  readonly route: LocalRoute;
  readonly segments: Segment[];
}

/** Splits a path into decoded segments; a trailing slash is optional (`/a/b/` is `/a/b`). */
export function pathSegments(path: string): string[] {
  return path.split('/').filter((s) => s.length > 0).map((s) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  });
}

function compile(route: LocalRoute): CompiledRoute {
  const segments = route.pathTemplate.split('/').filter(Boolean).map((part): Segment => {
    const greedy = /^\{(.+)\+\}$/.exec(part);
    if (greedy) return { kind: 'greedy', name: greedy[1] };
    const param = /^\{(.+)\}$/.exec(part);
    return param ? { kind: 'param', name: param[1] } : { kind: 'static', value: part };
  });
  return { route, segments };
}

const RANK: Record<Segment['kind'], number> = { static: 0, param: 1, greedy: 2 };

/** Matches one route; returns the parameters, or undefined. */
function matchSegments(segments: readonly Segment[], parts: readonly string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i];
    if (segment.kind === 'greedy') {
      if (i >= parts.length) return undefined;
      params[segment.name] = parts.slice(i).join('/');
      return params;
    }
    const part = parts[i];
    if (part === undefined) return undefined;
    if (segment.kind === 'static' && segment.value !== part) return undefined;
    if (segment.kind === 'param') params[segment.name] = part;
  }
  return segments.length === parts.length ? params : undefined;
}

/** Lower is more specific: compares segment kinds left to right. */
function specificity(a: CompiledRoute, b: CompiledRoute): number {
  const n = Math.max(a.segments.length, b.segments.length);
  for (let i = 0; i < n; i++) {
    const ka = a.segments[i] ? RANK[a.segments[i].kind] : -1;
    const kb = b.segments[i] ? RANK[b.segments[i].kind] : -1;
    if (ka !== kb) return ka - kb;
  }
  return 0;
}

export class RouteTable {
  private readonly routes: CompiledRoute[];

  constructor(routes: readonly LocalRoute[]) {
    this.routes = routes.map(compile).sort(specificity);
  }

  /**
   * The route for a method and path. A method route beats `ANY` on the same resource; a more
   * specific resource wins over a method match on a less specific one (as API Gateway resolves
   * the resource first, then the method).
   */
  match(method: string, path: string): RouteMatch | undefined {
    const parts = pathSegments(path);
    const verb = method.toUpperCase();
    for (const candidate of this.routes) {
      const params = matchSegments(candidate.segments, parts);
      if (!params) continue;
      // The most specific matching resource decides; pick its method (exact, then ANY).
      const sameResource = this.routes.filter((r) => r.route.pathTemplate === candidate.route.pathTemplate);
      const chosen = sameResource.find((r) => r.route.method === verb) ?? sameResource.find((r) => r.route.method === 'ANY');
      if (!chosen) return undefined;
      return { route: chosen.route, pathParameters: Object.keys(params).length ? params : null };
    }
    return undefined;
  }
}
