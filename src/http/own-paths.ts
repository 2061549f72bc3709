import type Router from '@koa/router';
import type { Middleware } from 'koa';

/**
 * Runs qrid's router only for paths whose first segment one of its routes starts with.
 * oidc-provider's endpoints (/auth, /token, /me, …) then skip matching the whole route table
 * (one regular expression per route, on four of a login's requests). Behaviour is the
 * router's own for every path: it would have matched nothing on the others. The segments are
 * read from the router's routes once, after they are registered; a route whose first segment
 * is not a plain word (a parameter, a pattern) turns the gate off, so nothing is skipped wrongly.
 */
export function ownPathsOnly(router: Router): Middleware {
  const routes = router.routes() as unknown as Middleware;
  const segments = firstSegments(router);
  if (!segments) return routes;
  return function routeOwnPaths(ctx, next) {
    return segments.has(firstSegment(ctx.path)) ? routes(ctx, next) : next();
  };
}

/** The router's first path segments, lower-cased (it matches without case), or undefined if one is not a plain word. */
export function firstSegments(router: Router): Set<string> | undefined {
  const segments = new Set<string>();
  for (const layer of router.stack) {
    if (layer.methods.length === 0) continue; // router.use() middleware: runs only beside a matched route
    const path = layer.path;
    if (typeof path !== 'string' || !path.startsWith('/')) return undefined;
    const segment = firstSegment(path);
    if (!/^[\w.-]*$/.test(segment)) return undefined;
    segments.add(segment);
  }
  return segments;
}

function firstSegment(path: string): string {
  const end = path.indexOf('/', 1);
  return (end === -1 ? path.slice(1) : path.slice(1, end)).toLowerCase();
}
