import { Agent, request as httpRequest, type IncomingMessage } from 'node:http';

/**
 * The load generator's browser: one cookie jar per simulated browser, manual redirects, the
 * same code for every flow measured (qrid's and the baseline's), so client cost is equal.
 * Plain node:http with keep-alive: fetch (undici) cost the load generator about a core's
 * worth at these rates, so the generator, not the server, was close to being what was measured.
 */
const browsers = new Agent({ keepAlive: true, maxSockets: 64 });

/** A device's own connection pool: its requests never wait for sockets the browsers hold. */
export const deviceAgent = (): Agent => new Agent({ keepAlive: true, maxSockets: 64 });

export class Jar {
  readonly cookies = new Map<string, string>();

  /**
   * `agent`: the browsers' shared pool unless this jar is another device's. The phone has a pool
   * of its own: with the browsers' pool it could wait for a socket held by the very stream
   * that waits for its approval, and at 64 flows in flight every flow did.
   */
  constructor(readonly agent: Agent = browsers) {}

  header(): string {
    return [...this.cookies].map(([n, v]) => `${n}=${v}`).join('; ');
  }

  take(response: IncomingMessage): void {
    for (const line of response.headers['set-cookie'] ?? []) {
      const [pair = ''] = line.split(';');
      const eq = pair.indexOf('=');
      const value = pair.slice(eq + 1);
      if (value) this.cookies.set(pair.slice(0, eq), value);
      else this.cookies.delete(pair.slice(0, eq));
    }
  }
}

export interface Hit {
  status: number;
  location: string | null;
  text: string;
}

function send(url: URL, method: string, headers: Record<string, string>, agent: Agent | false, body?: string, signal?: AbortSignal): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers: body ? { ...headers, 'Content-Length': String(Buffer.byteLength(body)) } : headers, agent, signal }, resolve);
    req.on('error', reject);
    req.end(body);
  });
}

async function readText(response: IncomingMessage): Promise<string> {
  response.setEncoding('utf8');
  let text = '';
  for await (const chunk of response) text += chunk as string;
  return text;
}

export async function request(
  base: string,
  jar: Jar,
  method: string,
  path: string,
  options: { form?: Record<string, string>; headers?: Record<string, string>; origin?: string; fromServer?: boolean } = {},
): Promise<Hit> {
  const url = new URL(path.startsWith('http') ? path : `${base}${path}`);
  const response = await send(
    url,
    method,
    {
      Cookie: jar.header(),
      Accept: 'text/html',
      ...(options.form ? { 'Content-Type': 'application/x-www-form-urlencoded' } : {}),
      // A browser's form post says where it came from; an RP's back-channel call does not.
      ...(options.form && !options.fromServer ? { Origin: options.origin ?? base, 'Sec-Fetch-Site': 'same-origin' } : {}),
      ...options.headers,
    },
    jar.agent,
    options.form ? new URLSearchParams(options.form).toString() : undefined,
  );
  jar.take(response);
  const location = response.headers.location;
  return { status: response.statusCode ?? 0, location: typeof location === 'string' ? location : null, text: await readText(response) };
}

/** An open event stream: resolves each time a `data:` line arrives. */
export class EventStream {
  readonly #response: IncomingMessage;
  readonly #controller: AbortController;
  readonly #chunks: string[] = [];
  #wake: (() => void) | undefined;
  #ended = false;
  #buffer = '';

  private constructor(response: IncomingMessage, controller: AbortController) {
    this.#response = response;
    this.#controller = controller;
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => {
      this.#chunks.push(chunk);
      this.#wake?.();
    });
    const stop = () => {
      this.#ended = true;
      this.#wake?.();
    };
    response.on('end', stop);
    response.on('error', stop);
    response.on('close', stop);
  }

  /**
   * `pooled`: as a browser does during a login, the stream takes a connection from the keep-alive
   * pool (the one the page came on, if it is free), and once the stream has ended the connection
   * goes back for the next request. Without it the stream gets a connection of its own, closed
   * with it: for the thousands of pages held open at once, which a pool of 64 could not carry.
   */
  static async open(url: string, jar: Jar, { pooled = false, headers = {} }: { pooled?: boolean; headers?: Record<string, string> } = {}): Promise<EventStream> {
    const controller = new AbortController();
    const response = await send(new URL(url), 'GET', { Cookie: jar.header(), Accept: 'text/event-stream', ...headers }, pooled ? jar.agent : false, undefined, controller.signal);
    if (response.statusCode !== 200) {
      response.resume();
      throw Object.assign(new Error(`event stream answered ${response.statusCode}`), { status: response.statusCode });
    }
    return new EventStream(response, controller);
  }

  /** Resolves with the next event's data (JSON) and the time it arrived. */
  async next(): Promise<{ data: { state: string; number?: number; reason?: string }; at: number }> {
    for (;;) {
      const end = this.#buffer.indexOf('\n\n');
      if (end >= 0) {
        const block = this.#buffer.slice(0, end);
        this.#buffer = this.#buffer.slice(end + 2);
        const line = block.split('\n').find((l) => l.startsWith('data: '));
        if (line) return { data: JSON.parse(line.slice(6)) as { state: string }, at: performance.now() };
        continue;
      }
      if (this.#chunks.length > 0) {
        this.#buffer += this.#chunks.join('');
        this.#chunks.length = 0;
        continue;
      }
      if (this.#ended) throw new Error('event stream ended');
      await new Promise<void>((resolve) => (this.#wake = resolve));
      this.#wake = undefined;
    }
  }

  /** Ends the stream; one that ended by itself has already given its connection back to the pool. */
  close(): void {
    if (this.#ended) return;
    this.#controller.abort();
    this.#response.destroy();
  }
}

export function attribute(html: string, pattern: RegExp, what: string): string {
  const match = pattern.exec(html);
  if (!match?.[1]) throw new Error(`no ${what} in page: ${html.slice(0, 300)}`);
  return match[1].replace(/&amp;/g, '&');
}
