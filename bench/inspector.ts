import { createWriteStream } from 'node:fs';

import { waitFor } from './loopback.js';

/**
 * A DevTools protocol session with a child started with `--inspect=127.0.0.1:0`, so the
 * memory bench can force a full GC and take heap snapshots without qrid exposing either.
 */
export class Inspector {
  readonly #socket: WebSocket;
  readonly #pending = new Map<number, (result: unknown) => void>();
  #chunk: ((text: string) => void) | undefined;
  #id = 0;

  private constructor(socket: WebSocket) {
    this.#socket = socket;
    socket.addEventListener('message', (event) => {
      const message = JSON.parse(String(event.data)) as { id?: number; method?: string; params?: { chunk: string }; result?: unknown };
      if (message.method === 'HeapProfiler.addHeapSnapshotChunk') this.#chunk?.(message.params?.chunk ?? '');
      else if (message.id !== undefined) this.#pending.get(message.id)?.(message.result);
    });
  }

  /** Connects to the child whose output (stderr included) `output` returns. */
  static async attach(output: () => string): Promise<Inspector> {
    const url = await waitFor('the inspector URL', async () => /Debugger listening on (ws:\/\/\S+)/.exec(output())?.[1]);
    const socket = new WebSocket(url);
    await new Promise((resolve, reject) => {
      socket.addEventListener('open', resolve, { once: true });
      socket.addEventListener('error', reject, { once: true });
    });
    return new Inspector(socket);
  }

  call(method: string, params: object = {}): Promise<unknown> {
    const id = ++this.#id;
    return new Promise((resolve) => {
      this.#pending.set(id, resolve);
      this.#socket.send(JSON.stringify({ id, method, params }));
    });
  }

  /** Two full collections: the second also frees what the first only finalized. */
  async collectGarbage(): Promise<void> {
    await this.call('HeapProfiler.collectGarbage');
    await this.call('HeapProfiler.collectGarbage');
  }

  async heapSnapshot(file: string): Promise<void> {
    const out = createWriteStream(file);
    this.#chunk = (text) => out.write(text);
    await this.call('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
    this.#chunk = undefined;
    await new Promise((resolve) => out.end(resolve));
  }

  close(): void {
    this.#socket.close();
  }
}
