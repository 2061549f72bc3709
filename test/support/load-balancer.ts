import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A tiny reverse proxy standing in for the load balancer in front of several qrid instances.
 * A request may pick its backend with `X-Backend: <name>` (so a test can say "the browser
 * waits on A, the phone approves through B"); otherwise the first live backend serves it.
 * Bodies and responses are streamed, so Server-Sent Events pass through.
 */
export class LoadBalancer {
  readonly backends = new Map<string, number>();
  #server: Server | undefined;
  port = 0;

  async start(port = 0): Promise<void> {
    this.#server = createServer((req, res) => {
      const wanted = req.headers['x-backend'];
      const names = typeof wanted === 'string' && this.backends.has(wanted) ? [wanted] : [...this.backends.keys()];
      const attempt = (index: number) => {
        const name = names[index];
        if (name === undefined) {
          res.writeHead(502).end('no backend');
          return;
        }
        const upstream = request(
          { host: '127.0.0.1', port: this.backends.get(name), method: req.method, path: req.url, headers: req.headers },
          (response) => {
            res.writeHead(response.statusCode ?? 502, response.headers);
            response.pipe(res);
            // A backend that dies mid-response takes the client's connection with it, as a real LB does.
            response.on('close', () => {
              if (!response.complete) res.destroy();
            });
          },
        );
        upstream.on('error', () => {
          if (!res.headersSent && index + 1 < names.length && req.method === 'GET') attempt(index + 1);
          else if (!res.headersSent) res.writeHead(502).end('backend down');
          else res.destroy();
        });
        req.pipe(upstream);
      };
      attempt(0);
    });
    await new Promise<void>((resolve) => this.#server?.listen(port, '127.0.0.1', resolve));
    this.port = (this.#server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    this.#server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }
}
