import type { Middleware } from 'koa';

/**
 * Shutdown's drain, from SIGTERM until the process exits (main.ts keeps listening for
 * `shutdown_delay_seconds` of it). Every response says `Connection: close`, so no client sends
 * another request into a connection this instance is about to close, and /readyz answers 503,
 * so the load balancer's health checks take the instance out before it stops listening.
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
