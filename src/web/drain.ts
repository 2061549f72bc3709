import type { Middleware } from 'koa';

/**
 * Shutdown's drain, from SIGTERM until the process exits. Every response says
 * `Connection: close`, so no client sends another request into a connection this instance is
 * about to close, and /readyz answers 503, so a load balancer's health check takes the
 * instance out of rotation while its last requests finish.
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
