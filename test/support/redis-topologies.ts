import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { freePort, waitFor } from './loopback.js';

const run = promisify(execFile);

/** redis-server processes of a test's own, on loopback ports, in a temporary directory; all stopped by `stop()`. */
class Processes {
  readonly dir = mkdtempSync(join(tmpdir(), 'qrid-topology-'));
  readonly #children = new Map<number, ChildProcess>();
  readonly #args = new Map<number, string[]>();

  start(port: number, args: string[]): void {
    const child = spawn('redis-server', args, { stdio: 'ignore', cwd: this.dir });
    this.#children.set(port, child);
    this.#args.set(port, args);
    // Not left running if the test runner itself dies before stop().
    const orphan = () => child.kill('SIGKILL');
    process.once('exit', orphan);
    child.once('exit', () => process.off('exit', orphan));
  }

  /** Kills a node the hard way (a crash, not a shutdown). */
  kill(port: number): void {
    this.#children.get(port)?.kill('SIGKILL');
  }

  /** Stops a node as its operator would (SIGTERM: with AOF, everything written is kept) and starts it again on its port. */
  async restart(port: number): Promise<void> {
    const child = this.#children.get(port);
    if (child && child.exitCode === null && child.signalCode === null) {
      // Killed a moment ago, or running: either way, gone (and its port free) before it starts again.
      await new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      });
    }
    this.start(port, this.#args.get(port) as string[]);
    await waitFor(`redis-server on ${port}`, async () => ((await answers(port)) ? true : undefined), 30_000);
  }

  async stop(): Promise<void> {
    await Promise.all(
      [...this.#children.values()].map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGKILL');
          }),
      ),
    );
    this.#children.clear();
  }
}

export async function cli(port: number, ...args: string[]): Promise<string> {
  return (await run('redis-cli', ['-p', String(port), ...args])).stdout.trim();
}

const answers = async (port: number) => (await cli(port, 'PING').catch(() => '')) === 'PONG';
/**
 * Waits until every replica of the master on `port` has everything it was sent so far (Redis
 * replicates asynchronously: what a master acknowledged but no replica received is lost when
 * it dies; docs/operations.md says so).
 */
export async function replicated(port: number): Promise<void> {
  await waitFor('replicas in step with their master', async () => {
    const info = await cli(port, 'INFO', 'replication');
    const offset = Number(/master_repl_offset:(\d+)/.exec(info)?.[1]);
    const replicas = [...info.matchAll(/^slave\d+:.*offset=(\d+)/gm)].map((m) => Number(m[1]));
    return replicas.length > 0 && replicas.every((r) => r >= offset) ? true : undefined;
  }, 30_000);
}

/** A replica whose link to its master is up (its first full copy done). */
const replicating = async (port: number) => (await cli(port, 'INFO', 'replication').catch(() => '')).includes('master_link_status:up');
/** Replicas copy at once (Redis otherwise waits 5 s to batch diskless full syncs). */
const QUICK_SYNC = ['--repl-diskless-sync-delay', '0'];

/** A master, a replica and three sentinels watching them (quorum 2), failing over within seconds. */
export class SentinelSetup {
  readonly name = 'qrid';
  readonly processes = new Processes();
  master = 0;
  replica = 0;
  sentinels: number[] = [];

  /**
   * `appendOnly`: each node keeps an AOF (in its own folder), so a restarted node has what it
   * had. `downAfterMs`: how long the sentinels wait before they call a silent master down.
   */
  constructor(private readonly options: { appendOnly?: boolean; downAfterMs?: number } = {}) {}

  async start(): Promise<void> {
    this.master = await freePort();
    this.replica = await freePort();
    // Each node has a configuration file: the sentinels rewrite it when they change its role, so
    // a node restarted later comes back as what it was (as a master, or replicating the new one).
    const node = (port: number, replicaOf?: number) => {
      const dir = join(this.processes.dir, `node-${port}`);
      mkdirSync(dir);
      const file = join(dir, 'redis.conf');
      const lines = [`port ${port}`, 'bind 127.0.0.1', `dir ${dir}`, 'save ""', `appendonly ${this.options.appendOnly ? 'yes' : 'no'}`, 'repl-diskless-sync-delay 0'];
      if (replicaOf) lines.push(`replicaof 127.0.0.1 ${replicaOf}`);
      writeFileSync(file, `${lines.join('\n')}\n`);
      return [file];
    };
    this.processes.start(this.master, node(this.master));
    this.processes.start(this.replica, node(this.replica, this.master));
    await waitFor('master and replica', async () => ((await answers(this.master)) && (await replicating(this.replica)) ? true : undefined), 30_000);
    for (let i = 0; i < 3; i += 1) {
      const port = await freePort();
      const file = join(this.processes.dir, `sentinel-${port}.conf`);
      writeFileSync(
        file,
        [
          `port ${port}`,
          'bind 127.0.0.1',
          `sentinel monitor ${this.name} 127.0.0.1 ${this.master} 2`,
          `sentinel down-after-milliseconds ${this.name} ${this.options.downAfterMs ?? 1000}`,
          `sentinel failover-timeout ${this.name} 5000`,
          `sentinel parallel-syncs ${this.name} 1`,
          '',
        ].join('\n'),
      );
      this.processes.start(port, [file, '--sentinel']);
      this.sentinels.push(port);
    }
    await waitFor('sentinels', async () => {
      for (const port of this.sentinels) if (!(await answers(port))) return undefined;
      const replicas = await cli(this.sentinels[0] as number, 'SENTINEL', 'REPLICAS', this.name).catch(() => '');
      return replicas.includes(String(this.replica)) ? true : undefined;
    }, 30_000);
  }

  /** The master's port, as the sentinels tell it now. */
  async currentMaster(): Promise<number> {
    const answer = await cli(this.sentinels[0] as number, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', this.name);
    return Number(answer.split('\n')[1]);
  }

  /** Kills the master and waits until the sentinels have promoted the replica; returns the new master. */
  async failover(): Promise<number> {
    const old = await this.currentMaster();
    this.processes.kill(old);
    const promoted = await waitFor('sentinel failover', async () => {
      const now = await this.currentMaster().catch(() => old);
      return now !== old ? now : undefined;
    }, 60_000);
    this.#down = old;
    return promoted;
  }

  #down: number | undefined;

  /** Starts the node the last failover killed again; the sentinels make it a replica of the new master. */
  async rejoin(): Promise<void> {
    if (this.#down === undefined) return;
    const port = this.#down;
    this.#down = undefined;
    await this.processes.restart(port);
    await waitFor('the old master to replicate the new one', async () => ((await replicating(port)) ? true : undefined), 60_000);
  }

  stop(): Promise<void> {
    return this.processes.stop();
  }
}

/** Six cluster nodes: three masters, each with a replica, failing over within seconds. */
export class ClusterSetup {
  readonly processes = new Processes();
  ports: number[] = [];

  async start(): Promise<void> {
    for (let i = 0; i < 6; i += 1) this.ports.push(await freePort());
    for (const port of this.ports) this.alive.add(port);
    for (const port of this.ports) {
      this.processes.start(port, [
        '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
        ...QUICK_SYNC, '--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`, '--cluster-node-timeout', '1000',
      ]);
    }
    await waitFor('cluster nodes', async () => {
      for (const port of this.ports) if (!(await answers(port))) return undefined;
      return true;
    }, 20_000);
    await run('redis-cli', ['--cluster', 'create', ...this.ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '1', '--cluster-yes']);
    await this.#healthy();
    await waitFor('cluster replicas in sync', async () => {
      let replicas = 0;
      for (const port of this.ports) {
        const info = await cli(port, 'INFO', 'replication').catch(() => '');
        if (!info.includes('role:slave')) continue;
        if (!info.includes('master_link_status:up')) return undefined;
        replicas += 1;
      }
      return replicas === 3 ? true : undefined;
    }, 60_000);
  }

  async #healthy(): Promise<void> {
    await waitFor('cluster state ok', async () => {
      const alive = this.ports.filter((p) => this.alive.has(p));
      for (const port of alive) if (!(await cli(port, 'CLUSTER', 'INFO').catch(() => '')).includes('cluster_state:ok')) return undefined;
      return true;
    }, 60_000);
  }

  readonly alive = new Set<number>();

  /** The masters' ports now. */
  async masters(): Promise<number[]> {
    const nodes = await cli([...this.alive][0] as number, 'CLUSTER', 'NODES');
    return nodes
      .split('\n')
      .filter((line) => line.includes('master') && !line.includes('fail'))
      .map((line) => Number(/:(\d+)@/.exec(line)?.[1]));
  }

  /** Waits until every master's replica has all it was sent. */
  async replicated(): Promise<void> {
    for (const port of await this.masters()) await replicated(port);
  }

  /** A node (master or replica) holding a pattern subscription: where some instance's subscriber is connected. */
  async subscriberNode(): Promise<number | undefined> {
    for (const port of this.alive) if (/psub=[1-9]/.test(await cli(port, 'CLIENT', 'LIST').catch(() => ''))) return port;
    return undefined;
  }

  /**
   * Kills a node (by default a master) and waits until the cluster is whole again: a killed
   * master's replica has taken over, or a killed replica is marked failed. Returns the port.
   */
  async kill(port?: number): Promise<number> {
    const victim = port ?? ((await this.masters())[0] as number);
    this.processes.kill(victim);
    this.alive.delete(victim);
    await waitFor('the cluster to see the node fail', async () => {
      const nodes = await cli([...this.alive][0] as number, 'CLUSTER', 'NODES').catch(() => '');
      return nodes.split('\n').some((line) => line.includes(`:${victim}@`) && line.includes('fail') && !line.includes('fail?')) ? true : undefined;
    }, 60_000);
    await this.#healthy();
    return victim;
  }

  stop(): Promise<void> {
    return this.processes.stop();
  }
}
