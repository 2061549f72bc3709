import mount from 'koa-mount';
import type { Middleware } from 'koa';
import type Provider from 'oidc-provider';

import { ConfigError } from '../config/config-error.js';
import type { ClientConfig } from '../config/schema.js';
import { SIGNING_KEYS_CHANGED, type SigningKeys } from '../keys/signing-keys.js';
import type { Logger } from '../logging/logger.js';
import type { Store, Unsubscribe } from '../store/store.js';

/**
 * The oidc-provider instance in use. oidc-provider takes its signing keys and static clients
 * only when it is constructed, so when either changes (a key rotation is published, a new key's
 * time to sign comes, SIGHUP reloads the clients) qrid builds a new instance and switches to it.
 * Sessions, grants, codes and interactions all live in the store, so the new instance carries on
 * every sign-in in flight; a request that began on the old instance ends on it.
 */
export type BuildProvider = (clients: readonly ClientConfig[], jwks: Awaited<ReturnType<SigningKeys['forProvider']>>['jwks']) => Provider;

/** setTimeout's longest delay; a later activation is re-checked then. */
const LONGEST_TIMER_MS = 2_147_483_647;

export class LiveProvider {
  #current: Provider;
  #clients: readonly ClientConfig[];
  readonly #extensions: ((provider: Provider) => void)[] = [];
  readonly #mounted = new WeakMap<Provider, Middleware>();
  #timer: NodeJS.Timeout | undefined;
  #unsubscribe: Unsubscribe | undefined;

  private constructor(
    private readonly build: BuildProvider,
    private readonly keys: SigningKeys,
    private readonly logger: Logger,
    first: Provider,
    clients: readonly ClientConfig[],
  ) {
    this.#current = first;
    this.#clients = clients;
  }

  static async start(build: BuildProvider, keys: SigningKeys, logger: Logger, clients: readonly ClientConfig[]): Promise<LiveProvider> {
    const { jwks, nextChange } = await keys.forProvider();
    const provider = build(clients, jwks);
    await checkClients(provider, clients);
    const live = new LiveProvider(build, keys, logger, provider, clients);
    live.#schedule(nextChange);
    return live;
  }

  get current(): Provider {
    return this.#current;
  }

  /** Applies `extension` (e.g. `provider.use(...)`) to this instance and every later one. */
  extend(extension: (provider: Provider) => void): void {
    extension(this.#current);
    this.#extensions.push(extension);
  }

  /** Koa middleware that hands each request to the instance current when it arrives. */
  middleware(): Middleware {
    return (ctx, next) => {
      const provider = this.#current;
      let mounted = this.#mounted.get(provider);
      if (!mounted) {
        mounted = mount(provider);
        this.#mounted.set(provider, mounted);
      }
      return mounted(ctx, next);
    };
  }

  /**
   * Builds a new instance with the stored keys and `clients` (the current ones if absent) and
   * switches to it, but only if every client loads: on any error the old instance stays.
   */
  async reload(clients: readonly ClientConfig[] = this.#clients): Promise<void> {
    const { jwks, nextChange } = await this.keys.forProvider();
    const provider = this.build(clients, jwks);
    await checkClients(provider, clients);
    for (const extension of this.#extensions) extension(provider);
    this.#current = provider;
    this.#clients = clients;
    this.#schedule(nextChange);
  }

  /** Reloads whenever another process says the keys changed (qrid keys rotate/retire). */
  async watchKeys(store: Store): Promise<void> {
    this.#unsubscribe = await store.subscribe(SIGNING_KEYS_CHANGED, () => this.#reloadKeys('keys changed'));
  }

  async stop(): Promise<void> {
    clearTimeout(this.#timer);
    await this.#unsubscribe?.();
  }

  #schedule(nextChange: number | undefined): void {
    clearTimeout(this.#timer);
    if (nextChange === undefined) return;
    const delay = Math.min(Math.max(nextChange - Date.now(), 0), LONGEST_TIMER_MS);
    this.#timer = setTimeout(() => this.#reloadKeys('a new key starts signing'), delay);
    this.#timer.unref();
  }

  #reloadKeys(reason: string): void {
    this.reload().then(
      () => this.logger.info({ reason }, 'signing keys reloaded'),
      (error: unknown) => {
        this.logger.error({ err: error, reason }, 'signing keys could not be reloaded; the previous keys stay in use');
        this.#schedule(Date.now() + 60_000);
      },
    );
  }
}

/**
 * oidc-provider checks a client's metadata only when the client is first used; qrid loads each
 * one at once (`Client.find`), so a client it would refuse stops start-up or a reload instead.
 */
export async function checkClients(provider: Provider, clients: readonly ClientConfig[]): Promise<void> {
  const problems: string[] = [];
  for (const [index, client] of clients.entries()) {
    try {
      await provider.Client.find(client.client_id);
    } catch (error) {
      const detail = (error as { error_description?: string }).error_description ?? (error as Error).message;
      problems.push(`clients[${index}] (${client.client_id}): ${detail}`);
    }
  }
  if (problems.length) throw new ConfigError('clients', problems);
}
