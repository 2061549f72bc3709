import { parseArgs } from 'node:util';

import { ConfigError } from '../config/config-error.js';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { createLogger } from '../logging/logger.js';
import { createStore } from '../store/create-store.js';
import type { Store } from '../store/store.js';
import { CliError, needsSharedStore } from './cli-error.js';
import { approveWithCompanion, defaultKeyFile, enrollCompanion } from './companion-commands.js';
import { exportCommand, importCommand } from './backup-commands.js';
import { clientsCheck } from './clients-check.js';
import { keysList, keysRetire, keysRotate } from './keys-commands.js';
import { invite, userLifecycle, usersAdd, usersGroups, usersList, usersSet } from './users-commands.js';

const USAGE = `usage:
  qrid users add <username> [--name NAME] [--email EMAIL] [--group GROUP]... [--admin] [--json]
  qrid users list [--json]
  qrid users set <username> [--name NAME] [--email EMAIL]
  qrid users groups <username> [--add GROUP]... [--remove GROUP]... [--json]
  qrid users disable <username>      ends their sessions, removes their devices
  qrid users enable <username>
  qrid users remove <username>       all of disable, then deletes the account
  qrid invite <username> [--json]
  qrid clients check                 validates the configuration and every client
  qrid export [--file FILE]          a backup: users, groups, devices, passkeys, consents, sealed keys
  qrid import <file>                 restores a backup into an empty store
  qrid keys list [--json]
  qrid keys rotate [--alg RS256|ES256] [--delay-hours H]   new keys: published now, signing after H hours (24)
  qrid keys retire <kid> [--force]   removes a replaced key once its tokens have expired
  qrid enroll <enrollment-link> [--name NAME] [--key FILE]     this terminal becomes a device (companion)
  qrid approve <qr-link> [--deny] [--yes] [--number N] [--json] [--key FILE]

Settings come from the same environment as the server: QRID_CONFIG, QRID_STORE, REDIS_URL, QRID_ISSUER.`;

async function run(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      email: { type: 'string' },
      admin: { type: 'boolean' },
      group: { type: 'string', multiple: true },
      add: { type: 'string', multiple: true },
      remove: { type: 'string', multiple: true },
      alg: { type: 'string' },
      'delay-hours': { type: 'string' },
      force: { type: 'boolean' },
      file: { type: 'string' },
      json: { type: 'boolean' },
      deny: { type: 'boolean' },
      yes: { type: 'boolean', short: 'y' },
      key: { type: 'string' },
      number: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, sub, arg] = positionals;
  if (values.help || !command) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const io = { out: (text: string) => process.stdout.write(`${text}\n`) };
  // The companion talks to a qrid server over HTTP; it needs no configuration or store.
  const keyFile = values.key ?? defaultKeyFile();
  if (command === 'enroll' && sub) return enrollCompanion(io, { url: sub, keyFile, name: values.name });
  if (command === 'approve' && sub) return approveWithCompanion(io, { url: sub, keyFile, deny: values.deny, yes: values.yes, json: values.json, number: values.number });

  const config = loadConfig();

  if (command === 'clients' && sub === 'check') return clientsCheck(config, io);
  if (command === 'export') return withStore(config, 'export', (store) => exportCommand(config, store, io, { file: values.file }));
  if (command === 'import' && sub) return withStore(config, 'import', (store) => importCommand(config, store, io, { file: sub }));
  if (command === 'keys' && sub === 'list') return withStore(config, 'keys list', (store) => keysList(config, store, io, values));
  if (command === 'keys' && sub === 'rotate') {
    return withStore(config, 'keys rotate', (store) => keysRotate(config, store, io, { alg: values.alg, delayHours: values['delay-hours'] }));
  }
  if (command === 'keys' && sub === 'retire' && arg) {
    return withStore(config, 'keys retire', (store) => keysRetire(config, store, io, { kid: arg, force: values.force }));
  }
  if (command === 'users' && sub === 'add' && arg) {
    return withStore(config, 'users add', (store) => usersAdd(config, store, io, { username: arg, ...values }));
  }
  if (command === 'users' && sub === 'set' && arg) {
    return withStore(config, 'users set', (store) => usersSet(store, io, { username: arg, name: values.name, email: values.email }));
  }
  if (command === 'users' && sub === 'groups' && arg) {
    return withStore(config, 'users groups', (store) => usersGroups(store, io, { username: arg, add: values.add, remove: values.remove, json: values.json }));
  }
  if (command === 'users' && sub === 'list') {
    return withStore(config, 'users list', (store) => usersList(store, io, values));
  }
  if (command === 'users' && (sub === 'disable' || sub === 'enable' || sub === 'remove') && arg) {
    return withStore(config, `users ${sub}`, (store) => userLifecycle(config, store, io, sub, arg));
  }
  if (command === 'invite' && sub) {
    return withStore(config, 'invite', (store) => invite(config, store, io, { username: sub, json: values.json }));
  }
  throw new CliError(USAGE, 64);
}

async function withStore(config: Config, command: string, action: (store: Store) => Promise<void>): Promise<void> {
  if (config.store.kind === 'memory') throw needsSharedStore(command);
  const store = createStore(config, createLogger('silent'));
  try {
    await store.ping().catch((error: unknown) => {
      throw new CliError(`cannot reach the store at ${config.store.redis_url}: ${error instanceof Error ? error.message : String(error)}`);
    });
    await action(store);
  } finally {
    await store.close();
  }
}

try {
  await run(process.argv.slice(2));
} catch (error) {
  if (error instanceof CliError) {
    process.stderr.write(`qrid: ${error.message}\n`);
    process.exit(error.exitCode);
  }
  if (error instanceof ConfigError) {
    process.stderr.write(`qrid: ${error.message}\n`);
    process.exit(1);
  }
  if (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS')) {
    process.stderr.write(`qrid: ${error.message}\n${USAGE}\n`);
    process.exit(64);
  }
  throw error;
}
