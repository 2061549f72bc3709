/**
 * A minimal browser for tests: a cookie jar (honouring Path), no automatic redirects, and the
 * headers a same-origin form post carries. Each instance is one browser (desktop or phone).
 */
interface StoredCookie {
  value: string;
  path: string;
}

export interface Page {
  status: number;
  headers: Headers;
  location?: string;
  text: string;
  url: string;
}

export class BrowserClient {
  readonly cookies = new Map<string, StoredCookie>();
  /** Sent with every request (e.g. X-Forwarded-For to place this browser on a network). */
  readonly headers: Record<string, string> = {};

  constructor(
    readonly origin: string,
    readonly userAgent = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36',
  ) {}

  async get(url: string, headers: Record<string, string> = {}): Promise<Page> {
    return this.request('GET', url, undefined, headers);
  }

  async head(url: string): Promise<Page> {
    return this.request('HEAD', url);
  }

  async postForm(url: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<Page> {
    return this.request('POST', url, new URLSearchParams(form).toString(), {
      'Content-Type': 'application/x-www-form-urlencoded',
      Origin: this.origin,
      'Sec-Fetch-Site': 'same-origin',
      ...headers,
    });
  }

  async postJson(url: string, headers: Record<string, string> = {}): Promise<Page> {
    return this.request('POST', url, undefined, { Accept: 'application/json', Origin: this.origin, 'Sec-Fetch-Site': 'same-origin', ...headers });
  }

  /**
   * Follows redirects while they stay on qrid, and submits oidc-provider's self-submitting forms
   * (its "Submitting Callback" pages) as a browser's script would; returns the first response
   * that leaves qrid or is neither.
   */
  async follow(page: Page): Promise<Page> {
    let current = page;
    for (let i = 0; i < 10; i += 1) {
      if (current.location?.startsWith(this.origin)) current = await this.get(current.location);
      else if (current.status === 200 && current.text.includes('<title>Submitting Callback</title>')) current = await this.submitAutoForm(current);
      else break;
    }
    return current;
  }

  async submitAutoForm(page: Page): Promise<Page> {
    const action = /<form method="post" action="([^"]+)"/.exec(page.text)?.[1]?.replace(/&amp;/g, '&') as string;
    const inputs = Object.fromEntries([...page.text.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"\/>/g)].map((m) => [m[1] as string, (m[2] as string).replace(/&amp;/g, '&')]));
    return this.postForm(new URL(action, page.url).href, inputs);
  }

  async request(method: string, url: string, body?: string, headers: Record<string, string> = {}): Promise<Page> {
    const target = new URL(url, this.origin);
    const cookie = [...this.cookies.entries()]
      .filter(([, c]) => target.pathname === c.path || target.pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`) || c.path === '/')
      .map(([name, c]) => `${name}=${c.value}`)
      .join('; ');
    const response = await fetch(target, {
      method,
      body,
      redirect: 'manual',
      headers: { 'User-Agent': this.userAgent, Accept: 'text/html', ...this.headers, ...(cookie ? { Cookie: cookie } : {}), ...headers },
    });
    for (const line of response.headers.getSetCookie()) this.#store(line);
    const location = response.headers.get('location') ?? undefined;
    return {
      status: response.status,
      headers: response.headers,
      location: location ? new URL(location, target).href : undefined,
      text: method === 'HEAD' ? '' : await response.text(),
      url: target.href,
    };
  }

  #store(line: string): void {
    const [pair = '', ...attributes] = line.split(';').map((part) => part.trim());
    const eq = pair.indexOf('=');
    const name = pair.slice(0, eq);
    const value = pair.slice(eq + 1);
    let path = '/';
    let expired = value === '';
    for (const attribute of attributes) {
      const [key = '', val = ''] = attribute.split('=');
      if (key.toLowerCase() === 'path') path = val || '/';
      if (key.toLowerCase() === 'expires' && Date.parse(val) < Date.now()) expired = true;
      if (key.toLowerCase() === 'max-age' && Number(val) <= 0) expired = true;
    }
    if (expired) this.cookies.delete(name);
    else this.cookies.set(name, { value, path });
  }
}

/** The value of a hidden input or attribute in a page. */
export function field(html: string, name: string): string {
  const match = new RegExp(`name="${name}" value="([^"]*)"`).exec(html) ?? new RegExp(`data-${name}="([^"]*)"`).exec(html);
  if (!match?.[1]) throw new Error(`no ${name} in page:\n${html.slice(0, 2000)}`);
  return match[1].replace(/&amp;/g, '&');
}
