import { createHmac, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';

import { clientProblems } from './client-rules.js';
import { ConfigError, fieldPath } from './config-error.js';
import { clientSchema, type Config, configSchema, type RawConfig } from './schema.js';

export type Env = Record<string, string | undefined>;

export interface LoadOptions {
  env?: Env;
  /** Used instead of reading QRID_CONFIG (tests). */
  raw?: unknown;
  source?: string;
}

export const DEMO_CLIENT_ID = 'qrid-demo';
/** The demo TV (development): a public client of the device grant alone. */
export const DEMO_TV_CLIENT_ID = 'qrid-demo-tv';
/** qrid's own admin console signs its administrators in through qrid, like any app. */
export const ADMIN_CLIENT_ID = 'qrid-admin';

/**
 * Reads the YAML file named by QRID_CONFIG (if any), applies the environment, validates the
 * whole and resolves what depends on other fields (issuer, development secrets, demo client).
 */
export function loadConfig(options: LoadOptions = {}): Config {
  const env = options.env ?? process.env;
  let raw: unknown = options.raw;
  let source = options.source ?? 'defaults';
  if (raw === undefined && env.QRID_CONFIG) {
    source = env.QRID_CONFIG;
    raw = readYaml(env.QRID_CONFIG);
  }
  const hasFile = raw !== undefined;
  if (raw === null || raw === undefined) raw = {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError(source, ['(root): must be a mapping of settings']);
  }

  const merged = applyEnv(structuredClone(raw) as Record<string, unknown>, env, source);
  const parsed = configSchema.safeParse(merged);
  if (!parsed.success) {
    throw new ConfigError(
      source,
      parsed.error.issues.map((issue) => `${fieldPath(issue.path)}: ${issue.message}`),
    );
  }
  const value = parsed.data;
  const problems: string[] = [];

  const development = value.development ?? !hasFile;
  const issuer = (value.issuer ?? `http://localhost:${value.port}`).replace(/\/$/, '');

  let cookieKeys = value.cookie_keys;
  if (!cookieKeys) {
    if (development) cookieKeys = developmentCookieKeys(value.data_dir);
    else problems.push('cookie_keys: required outside development (or set QRID_COOKIE_KEYS)');
  }

  value.clients.forEach((client, index) => {
    if (client.client_secret && client.client_secret_env) {
      problems.push(`clients[${index}].client_secret: give client_secret or client_secret_env, not both`);
    }
  });
  const clients = value.clients.map((client, index) => {
    if (!client.client_secret_env || client.client_secret) return client;
    const secret = env[client.client_secret_env];
    if (!secret || secret.length < 32) {
      problems.push(
        `clients[${index}].client_secret_env: environment variable ${client.client_secret_env} must hold a secret of at least 32 characters`,
      );
      return client;
    }
    return { ...client, client_secret: secret };
  });
  clients.forEach((client, index) => problems.push(...clientProblems(client, index)));
  const seen = new Set<string>();
  clients.forEach((client, index) => {
    if (seen.has(client.client_id)) problems.push(`clients[${index}].client_id: "${client.client_id}" is registered twice`);
    seen.add(client.client_id);
  });

  if (problems.length) throw new ConfigError(source, problems);
  const keys = cookieKeys as string[];

  // qrid's own clients say only what differs from a configured client; the schema fills in
  // the rest, so they follow its defaults. Their secrets are derived from the cookie key, so
  // they are stable across restarts without being stored.
  const derivedSecret = (purpose: string) => createHmac('sha256', keys[0] as string).update(purpose).digest('base64url');
  const builtIn = (client: z.input<typeof clientSchema>) => {
    if (!clients.some((c) => c.client_id === client.client_id)) clients.push(clientSchema.parse(client));
  };
  if (development) {
    builtIn({
      client_id: DEMO_CLIENT_ID,
      client_secret: derivedSecret('qrid-demo-client-secret'),
      client_name: 'qrid demo app',
      redirect_uris: [`${issuer}/demo/callback`],
      post_logout_redirect_uris: [`${issuer}/demo`],
    });
    builtIn({ client_id: DEMO_TV_CLIENT_ID, client_name: 'qrid demo TV', device_grant: true });
  }
  builtIn({
    client_id: ADMIN_CLIENT_ID,
    client_secret: derivedSecret('qrid-admin-client-secret'),
    client_name: 'qrid admin',
    redirect_uris: [`${issuer}/admin/callback`],
    post_logout_redirect_uris: [`${issuer}/admin`],
    first_party: true,
    refresh_tokens: false,
  });

  return { ...value, issuer, development, cookie_keys: keys, clients };
}

function readYaml(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(path, [`cannot read the file: ${(error as NodeJS.ErrnoException).code ?? String(error)}`]);
  }
  try {
    return parseYaml(text);
  } catch (error) {
    throw new ConfigError(path, [`not valid YAML: ${(error as Error).message.split('\n')[0]}`]);
  }
}

/** The documented environment variables, applied over the file. */
function applyEnv(raw: Record<string, unknown>, env: Env, source: string): RawConfig {
  const problems: string[] = [];
  if (env.QRID_ISSUER) raw.issuer = env.QRID_ISSUER;
  if (env.PORT) {
    const port = Number(env.PORT);
    if (!Number.isInteger(port)) problems.push(`PORT: must be a whole number, got "${env.PORT}"`);
    raw.port = port;
  }
  if (env.QRID_COOKIE_KEYS) raw.cookie_keys = env.QRID_COOKIE_KEYS.split(',').map((k) => k.trim()).filter(Boolean);
  if (env.QRID_DATA_DIR) raw.data_dir = env.QRID_DATA_DIR;
  if (env.QRID_LOG_LEVEL) raw.log_level = env.QRID_LOG_LEVEL;
  if (env.QRID_METRICS_TOKEN) raw.metrics = { ...((raw.metrics as Record<string, unknown> | undefined) ?? {}), token: env.QRID_METRICS_TOKEN };
  if (env.QRID_STORE || env.REDIS_URL || env.QRID_KEY_PREFIX) {
    const store = { ...((raw.store as Record<string, unknown> | undefined) ?? {}) };
    if (env.QRID_STORE) store.kind = env.QRID_STORE;
    if (env.REDIS_URL) store.redis_url = env.REDIS_URL;
    if (env.QRID_KEY_PREFIX) store.key_prefix = env.QRID_KEY_PREFIX;
    raw.store = store;
  }
  if (problems.length) throw new ConfigError(source, problems);
  return raw as RawConfig;
}

/** Development only: cookie keys generated once and kept, so restarts keep browsers signed in. */
function developmentCookieKeys(dataDir: string): string[] {
  const file = join(resolve(dataDir), 'cookie-keys.json');
  try {
    const keys = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    if (Array.isArray(keys) && keys.length && keys.every((k) => typeof k === 'string' && k.length >= 32)) {
      return keys as string[];
    }
  } catch {
    // Missing or unreadable: make new ones below.
  }
  const keys = [randomBytes(32).toString('base64url')];
  mkdirSync(resolve(dataDir), { recursive: true, mode: 0o700 });
  writeFileSync(file, JSON.stringify(keys), { mode: 0o600 });
  return keys;
}
