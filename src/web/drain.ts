import type { Middleware } from 'koa';

/**
 * Shutdown's drain, from SIGTERM until the process exits (main.ts stops listening at the same
 * time). Every response says `Connection: close`, so no client sends another request into a
 * connection this instance is about to close, and /readyz answers 503 to a health check that
 * comes on a connection still open.
 */
export class Drain {
  #active = false;

  start(): void {
    this.#active = true;
  }

  get active(): boolean {
    return this.#active;
  }

  middleware(): Middleware {
    return async (ctx, next) => {
      try {
        await next();
      } finally {
        // Koa ignores this once headers are out (an event stream's): such a response ends with its connection anyway.
        if (this.#active) ctx.set('Connection', 'close');
      }
    };
  }
}
