import type { CoreServices } from '../compose.js';
import type { Logger } from '../logging/logger.js';
import { ConfigError } from './config-error.js';
import { loadConfig } from './load.js';
import type { Config } from './schema.js';

/**
 * SIGHUP: reads the configuration file again and serves its client list from then on. Nothing
 * else changes (the other settings need a restart, and the log says which differ); waiting
 * pages and sign-ins in flight carry on. A file with any problem changes nothing: the problems
 * are logged, naming their fields, and the clients in use stay.
 */
export async function reloadClients(services: Pick<CoreServices, 'liveProvider'>, running: Config, logger: Logger, load: () => Config = () => loadConfig()): Promise<boolean> {
  try {
    const next = load();
    await services.liveProvider.reload(next.clients);
    const ignored = Object.keys(next).filter((key) => key !== 'clients' && JSON.stringify(next[key as keyof Config]) !== JSON.stringify(running[key as keyof Config]));
    logger.info({ clients: next.clients.map((c) => c.client_id), ...(ignored.length ? { needsRestart: ignored } : {}) }, 'clients reloaded');
    return true;
  } catch (error) {
    if (error instanceof ConfigError) {
      logger.error({ problems: error.problems, source: error.source }, 'configuration not reloaded; the clients in use stay');
      return false;
    }
    logger.error({ err: error }, 'configuration not reloaded; the clients in use stay');
    return false;
  }
}
