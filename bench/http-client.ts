/**
 * The load generator's browser: one cookie jar per simulated browser, manual redirects, the
 * same code for every flow measured (qrid's and the baseline's), so client cost is equal.
 */
export class Jar {
  readonly cookies = new Map<string, string>();

  header(): string {
    return [...this.cookies].map(([n, v]) => `${n}=${v}`).join('; ');
  }

  take(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
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

export async function request(
  base: string,
  jar: Jar,
  method: string,
  path: string,
  options: { form?: Record<string, string>; headers?: Record<string, string>; origin?: string } = {},
): Promise<Hit> {
  const url = path.startsWith('http') ? path : `${base}${path}`;
  const response = await fetch(url, {
    method,
    redirect: 'manual',
    headers: {
      Cookie: jar.header(),
      Accept: 'text/html',
      ...(options.form ? { 'Content-Type': 'application/x-www-form-urlencoded', Origin: options.origin ?? base, 'Sec-Fetch-Site': 'same-origin' } : {}),
      ...options.headers,
    },
    body: options.form ? new URLSearchParams(options.form).toString() : undefined,
  });
  jar.take(response);
  return { status: response.status, location: response.headers.get('location'), text: await response.text() };
}

/** An open event stream: resolves each time a `data:` line arrives. */
export class EventStream {
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly #controller: AbortController;
  readonly #decoder = new TextDecoder();
  #buffer = '';

  private constructor(reader: ReadableStreamDefaultReader<Uint8Array>, controller: AbortController) {
    this.#reader = reader;
    this.#controller = controller;
  }

  static async open(url: string, jar: Jar): Promise<EventStream> {
    const controller = new AbortController();
    const response = await fetch(url, { headers: { Cookie: jar.header(), Accept: 'text/event-stream' }, signal: controller.signal });
    if (response.status !== 200 || !response.body) throw new Error(`event stream answered ${response.status}`);
    return new EventStream(response.body.getReader(), controller);
  }

  /** Resolves with the next event's data (JSON) and the time it arrived. */
  async next(): Promise<{ data: { state: string; number?: number }; at: number }> {
    for (;;) {
      const end = this.#buffer.indexOf('\n\n');
      if (end >= 0) {
        const block = this.#buffer.slice(0, end);
        this.#buffer = this.#buffer.slice(end + 2);
        const line = block.split('\n').find((l) => l.startsWith('data: '));
        if (line) return { data: JSON.parse(line.slice(6)) as { state: string }, at: performance.now() };
        continue;
      }
      const { value, done } = await this.#reader.read();
      if (done) throw new Error('event stream ended');
      this.#buffer += this.#decoder.decode(value, { stream: true });
    }
  }

  close(): void {
    this.#controller.abort();
  }
}

export function attribute(html: string, pattern: RegExp, what: string): string {
  const match = pattern.exec(html);
  if (!match?.[1]) throw new Error(`no ${what} in page: ${html.slice(0, 300)}`);
  return match[1].replace(/&amp;/g, '&');
}
