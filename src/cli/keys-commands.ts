import { SIGNING_ALGS, SIGNING_KEYS_CHANGED, type SigningAlg, SigningKeyError, SigningKeys, type SigningKeyInfo } from '../keys/signing-keys.js';
import type { Config } from '../config/schema.js';
import type { Store } from '../store/store.js';
import { CliError } from './cli-error.js';
import type { Output } from './users-commands.js';

/** `qrid keys list [--json]` */
export async function keysList(config: Config, store: Store, io: Output, args: { json?: boolean }): Promise<void> {
  const keys = await new SigningKeys(store, config.cookie_keys).list();
  if (args.json) {
    io.out(JSON.stringify(keys));
    return;
  }
  if (!keys.length) io.out('No signing keys yet: qrid creates them when it first starts.');
  for (const key of keys) io.out(describe(key));
}

/**
 * `qrid keys rotate [--alg RS256|ES256] [--delay-hours H]`: a new key per algorithm, published at
 * once by every instance and signing after the delay (default 24 hours), so apps that cache the
 * JWKS have fetched it before anything is signed with it.
 */
export async function keysRotate(config: Config, store: Store, io: Output, args: { alg?: string; delayHours?: string }): Promise<void> {
  const algs = args.alg ? [parseAlg(args.alg)] : [...SIGNING_ALGS];
  const hours = args.delayHours === undefined ? 24 : Number(args.delayHours);
  if (!Number.isFinite(hours) || hours < 0 || hours > 24 * 90) throw new CliError('--delay-hours must be a number of hours from 0 to 2160');
  const added = await asCliError(() => new SigningKeys(store, config.cookie_keys).rotate(algs, Math.round(hours * 3600)));
  await store.publish(SIGNING_KEYS_CHANGED, 'rotated');
  for (const key of added) io.out(`Added ${describe(key)}`);
  io.out('Every running instance publishes the new keys now. Retire the old ones once they no longer sign and their tokens have expired: qrid keys retire <kid>');
}

/** `qrid keys retire <kid> [--force]` */
export async function keysRetire(config: Config, store: Store, io: Output, args: { kid: string; force?: boolean }): Promise<void> {
  const retired = await asCliError(() =>
    new SigningKeys(store, config.cookie_keys).retire(args.kid, { tokenSeconds: config.ttl.id_token, force: args.force }),
  );
  await store.publish(SIGNING_KEYS_CHANGED, 'retired');
  io.out(`Retired ${retired.alg} key ${retired.kid}: no instance publishes it any more.`);
}

function describe(key: SigningKeyInfo): string {
  const when =
    key.state === 'pending'
      ? `signs from ${new Date(key.activatesAt).toISOString()}`
      : key.state === 'verifying'
        ? `replaced ${new Date(key.replacedAt ?? 0).toISOString()}`
        : `signing since ${new Date(key.activatesAt).toISOString()}`;
  return `${key.kid}\t${key.alg}\t${key.state}\t${when}`;
}

function parseAlg(alg: string): SigningAlg {
  const found = SIGNING_ALGS.find((a) => a === alg.toUpperCase());
  if (!found) throw new CliError(`--alg must be one of ${SIGNING_ALGS.join(', ')}`);
  return found;
}

async function asCliError<T>(step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if (error instanceof SigningKeyError) throw new CliError(error.message);
    throw error;
  }
}
