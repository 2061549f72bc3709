import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A relying party's back-channel logout endpoint on loopback, collecting logout tokens. */
export class BackchannelReceiver {
  readonly tokens: string[] = [];
  #server: Server | undefined;
  url = '';

  async start(): Promise<void> {
    this.#server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const token = new URLSearchParams(body).get('logout_token');
        if (token) this.tokens.push(token);
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => this.#server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/backchannel`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.#server?.close(() => resolve()));
  }
}
