import Router from '@koa/router';
import Koa from 'koa';
import { describe, expect, it } from 'vitest';

import { firstSegments, ownPathsOnly } from './own-paths.js';

/** Serves `router` through the gate, with a fallback that says it was reached. */
async function serve(router: Router, method: string, path: string): Promise<{ status: number; body: string }> {
  const app = new Koa();
  app.use(ownPathsOnly(router));
  app.use((ctx) => {
    ctx.body = 'fell through';
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  try {
    const { port } = server.address() as { port: number };
    const response = await fetch(`http://127.0.0.1:${port}${path}`, { method });
    return { status: response.status, body: await response.text() };
  } finally {
    server.close();
  }
}

function qridLike(): Router {
  const router = new Router();
  router.use(async (ctx, next) => {
    ctx.set('X-Router-Middleware', 'ran');
    await next();
  });
  router.get('/', (ctx) => void (ctx.body = 'home'));
  router.get('/phone', (ctx) => void (ctx.body = 'phone'));
  router.post('/q/:handle', (ctx) => void (ctx.body = `q ${ctx.params.handle}`));
  router.get('/interaction/:uid/events', (ctx) => void (ctx.body = `events ${ctx.params.uid}`));
  return router;
}

describe('ownPathsOnly', () => {
  it('reads the first segments of routed paths, not of router-wide middleware', () => {
    expect([...(firstSegments(qridLike()) ?? [])].sort()).toEqual(['', 'interaction', 'phone', 'q']);
  });

  it('dispatches paths under those segments to the router, as the router would', async () => {
    const router = qridLike();
    expect(await serve(router, 'GET', '/')).toEqual({ status: 200, body: 'home' });
    expect(await serve(router, 'POST', '/q/abc')).toEqual({ status: 200, body: 'q abc' });
    expect(await serve(router, 'GET', '/interaction/u1/events')).toEqual({ status: 200, body: 'events u1' });
    // The router matches without case and with a trailing slash; the gate must not hide those.
    expect(await serve(router, 'GET', '/PHONE/')).toEqual({ status: 200, body: 'phone' });
  });

  it('passes other paths on, and owned paths the router does not match', async () => {
    const router = qridLike();
    expect(await serve(router, 'GET', '/auth?client_id=x')).toEqual({ status: 200, body: 'fell through' });
    expect(await serve(router, 'GET', '/.well-known/openid-configuration')).toEqual({ status: 200, body: 'fell through' });
    expect(await serve(router, 'GET', '/q/abc')).toEqual({ status: 200, body: 'fell through' }); // no GET route there
  });

  it('turns itself off when a route starts with a parameter', async () => {
    const router = qridLike();
    router.get('/:anything/page', (ctx) => void (ctx.body = 'param'));
    expect(firstSegments(router)).toBeUndefined();
    expect(await serve(router, 'GET', '/auth/page')).toEqual({ status: 200, body: 'param' });
  });
});
