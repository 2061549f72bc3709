import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A tiny reverse proxy standing in for the load balancer in front of several qrid instances
 * (the tests' and the soak's). A request may name its backend with `X-Backend: <name>` (so a
 * test can say "the browser waits on A, the phone approves through B"); it goes there first,
 * otherwise to the first backend, unless that backend's health check (`/readyz`) failed. As real load balancers do, a request that no backend received
 * (connection refused: an instance stopped or restarting) goes to the next one, whatever its
 * method; one that failed after it was sent is retried only if it is a GET. Request bodies
 * are small forms, read whole first so that they can be sent again; responses are streamed, so
 * Server-Sent Events pass through. One connection per request: no reused connection can be
 * closed under a request by an instance that is shutting down.
 */
export class LoadBalancer {
  readonly backends = new Map<string, number>();
  #server: Server | undefined;
  port = 0;
  /** Backends whose last health check failed (`/readyz` not 200, or no answer). */
  readonly #down = new Set<string>();
  #checks: NodeJS.Timeout | undefined;

  /** Health checks every 200 ms, as a real balancer's: a backend that is draining or gone gets nothing new. */
  #check(): void {
    for (const [name, port] of this.backends) {
      const probe = request({ host: '127.0.0.1', port, path: '/readyz', agent: false, timeout: 1_000 }, (response) => {
        response.resume();
        if (response.statusCode === 200) this.#down.delete(name);
        else this.#down.add(name);
      });
      probe.on('timeout', () => probe.destroy());
      probe.on('error', () => this.#down.add(name));
      probe.end();
    }
  }

  async start(port = 0): Promise<void> {
    this.#checks = setInterval(() => this.#check(), 200);
    this.#server = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const body = Buffer.concat(chunks);
      const wanted = req.headers['x-backend'];
      // The named backend first, then the others; healthy ones before those whose check failed.
      const all = [...this.backends.keys()];
      const ordered = typeof wanted === 'string' && this.backends.has(wanted) ? [wanted, ...all.filter((n) => n !== wanted)] : all;
      const names = [...ordered.filter((n) => !this.#down.has(n)), ...ordered.filter((n) => this.#down.has(n))];
      const attempt = (index: number) => {
        const name = names[index];
        if (name === undefined) {
          res.writeHead(502).end('no backend');
          return;
        }
        const upstream = request(
          { host: '127.0.0.1', port: this.backends.get(name), method: req.method, path: req.url, headers: req.headers, agent: false },
          (response) => {
            res.writeHead(response.statusCode ?? 502, response.headers);
            response.pipe(res);
            // A backend that dies mid-response takes the client's connection with it, as a real LB does.
            response.on('close', () => {
              if (!response.complete) res.destroy();
            });
          },
        );
        upstream.on('error', (error: NodeJS.ErrnoException) => {
          const neverReceived = error.code === 'ECONNREFUSED';
          if (!res.headersSent && index + 1 < names.length && (neverReceived || req.method === 'GET')) attempt(index + 1);
          else if (!res.headersSent) res.writeHead(502).end('backend down');
          else res.destroy();
        });
        upstream.end(body);
      };
      attempt(0);
    });
    await new Promise<void>((resolve) => this.#server?.listen(port, '127.0.0.1', resolve));
    this.port = (this.#server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    clearInterval(this.#checks);
    this.#server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }
}
