import { Consents } from '../accounts/consents.js';
import { Users } from '../accounts/users.js';
import { authMethodOf } from '../config/client-rules.js';
import type { Config } from '../config/schema.js';
import { SigningKeys } from '../keys/signing-keys.js';
import { createProvider } from '../provider/create-provider.js';
import { checkClients } from '../provider/live-provider.js';
import { MemoryStore } from '../store/memory-store.js';
import { createViews } from '../web/views.js';
import type { Output } from './users-commands.js';

/**
 * `qrid clients check`: the configuration loaded (every field checked, messages naming it), and
 * each client as oidc-provider itself would take it. Runs on a throw-away in-memory store with
 * throw-away keys, so it needs neither Redis nor the real keys.
 */
export async function clientsCheck(config: Config, io: Output): Promise<void> {
  const store = new MemoryStore();
  const { jwks } = await new SigningKeys(store, config.cookie_keys).forProvider();
  const provider = createProvider({ config, store, users: new Users(store), consents: new Consents(store), views: createViews(), jwks });
  await checkClients(provider, config.clients);
  await store.close();
  io.out(`Configuration is valid. ${config.clients.length} client(s):`);
  for (const c of config.clients) {
    const traits = [
      authMethodOf(c) === 'none' ? 'public (PKCE)' : `confidential (${authMethodOf(c)})`,
      c.pkce === 'optional' ? 'PKCE optional' : '',
      `ID tokens ${c.id_token_signed_response_alg}`,
      c.first_party ? 'first-party' : '',
      c.resource_server ? 'resource server' : '',
    ].filter(Boolean);
    io.out(`  ${c.client_id}\t${c.client_name}\t${traits.join(', ')}`);
  }
}
