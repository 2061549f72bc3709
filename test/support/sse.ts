export interface ServerEvent {
  event: string;
  data: string;
}

/** An open Server-Sent Events response, read one event at a time. */
export interface EventReader {
  status: number;
  headers: Headers;
  /** The next event, or undefined once the stream has ended. */
  next(timeoutMs?: number): Promise<ServerEvent | undefined>;
  close(): void;
}

export async function openEvents(url: string, headers: Record<string, string>): Promise<EventReader> {
  const controller = new AbortController();
  const response = await fetch(url, { headers: { Accept: 'text/event-stream', ...headers }, signal: controller.signal });
  const reader = response.body?.getReader();
  const decoder = new TextDecoder();
  const queue: ServerEvent[] = [];
  let buffer = '';
  let ended = !reader;

  const pump = async (): Promise<void> => {
    if (!reader || ended) return;
    let chunk;
    try {
      chunk = await reader.read();
    } catch {
      ended = true;
      return;
    }
    if (chunk.done) {
      ended = true;
      return;
    }
    buffer += decoder.decode(chunk.value, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const lines = block.split('\n');
      const data = lines.filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
      if (data) queue.push({ event: lines.find((l) => l.startsWith('event: '))?.slice(7) ?? 'message', data });
    }
  };

  return {
    status: response.status,
    headers: response.headers,
    async next(timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (queue.length === 0 && !ended) {
        if (Date.now() > deadline) throw new Error('no event in time');
        await Promise.race([pump(), new Promise((resolve) => setTimeout(resolve, Math.max(1, deadline - Date.now())))]);
      }
      return queue.shift();
    },
    close() {
      ended = true;
      controller.abort();
    },
  };
}

/** The cookies a browser would send to `path`. */
export function cookieHeader(cookies: Map<string, { value: string; path: string }>, path: string): string {
  return [...cookies.entries()]
    .filter(([, c]) => c.path === '/' || path === c.path || path.startsWith(`${c.path}/`))
    .map(([name, c]) => `${name}=${c.value}`)
    .join('; ');
}
