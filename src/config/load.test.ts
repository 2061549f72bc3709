import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

import { projectRoot } from '../paths.js';
import { ConfigError } from './config-error.js';
import { DEMO_CLIENT_ID, loadConfig } from './load.js';

const key = 'k'.repeat(32);
const client = {
  client_id: 'app',
  client_name: 'App',
  redirect_uris: ['https://app.example/cb'],
};

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return [...(error as ConfigError).problems];
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('runs a development setup with no configuration at all', () => {
    const dir = mkdtempSync(join(tmpdir(), 'qrid-cfg-'));
    const config = loadConfig({ env: { PORT: '4000', QRID_DATA_DIR: dir } });
    expect(config.development).toBe(true);
    expect(config.issuer).toBe('http://localhost:4000');
    expect(config.store.kind).toBe('memory');
    expect(config.qr.handle_seconds).toBe(60);
    expect(config.clients.map((c) => c.client_id)).toContain(DEMO_CLIENT_ID);
  });

  it('keeps development cookie keys between loads', () => {
    const dir = mkdtempSync(join(tmpdir(), 'qrid-cfg-'));
    const a = loadConfig({ env: {}, raw: { development: true, data_dir: dir } });
    const b = loadConfig({ env: {}, raw: { development: true, data_dir: dir } });
    expect(a.cookie_keys).toEqual(b.cookie_keys);
    expect(a.cookie_keys[0]?.length).toBeGreaterThanOrEqual(32);
  });

  it('reads YAML from QRID_CONFIG and lets the environment override it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'qrid-cfg-'));
    const file = join(dir, 'qrid.yaml');
    writeFileSync(
      file,
      `issuer: https://id.example.com\ncookie_keys: ["${key}"]\nclients:\n  - client_id: grafana\n    client_name: Grafana\n    client_secret_env: GRAFANA_SECRET\n    redirect_uris: [https://grafana.example.com/login/generic_oauth]\n    first_party: true\n`,
    );
    const config = loadConfig({ env: { QRID_CONFIG: file, QRID_STORE: 'redis', GRAFANA_SECRET: 's'.repeat(40) } });
    expect(config.development).toBe(false);
    expect(config.issuer).toBe('https://id.example.com');
    expect(config.store.kind).toBe('redis');
    expect(config.clients.map((c) => c.client_id)).toEqual(["grafana", "qrid-admin"]);
    expect(config.clients[0]).toMatchObject({ client_id: 'grafana', client_secret: 's'.repeat(40), first_party: true });
  });

  it('names the field of every problem', () => {
    const problems = problemsOf(() =>
      loadConfig({
        env: {},
        raw: {
          cookie_keys: [key],
          clients: [{ ...client, redirect_uris: ['not a url'] }, { ...client, client_name: '' }],
          qr: { handle_seconds: 5 },
          bogus: 1,
        },
      }),
    );
    const text = problems.join('\n');
    expect(text).toContain('clients[0].redirect_uris[0]');
    expect(text).toContain('clients[1].client_name');
    expect(text).toContain('qr.handle_seconds');
    expect(text).toMatch(/bogus/);
  });

  it('refuses duplicate clients, missing env secrets and missing cookie keys in production', () => {
    expect(problemsOf(() => loadConfig({ env: {}, raw: { cookie_keys: [key], clients: [client, client] } }))).toEqual([
      'clients[1].client_id: "app" is registered twice',
    ]);
    expect(
      problemsOf(() =>
        loadConfig({ env: {}, raw: { cookie_keys: [key], clients: [{ ...client, client_secret_env: 'NOPE' }] } }),
      )[0],
    ).toMatch(/^clients\[0\]\.client_secret_env: environment variable NOPE/);
    expect(problemsOf(() => loadConfig({ env: {}, raw: { clients: [] } }))[0]).toMatch(/^cookie_keys: required/);
  });

  it('reports unreadable files and bad YAML with the file name', () => {
    expect(() => loadConfig({ env: { QRID_CONFIG: '/nonexistent/qrid.yaml' } })).toThrow(/\/nonexistent\/qrid.yaml.*\n.*ENOENT/);
    const dir = mkdtempSync(join(tmpdir(), 'qrid-cfg-'));
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'clients: [\n');
    expect(() => loadConfig({ env: { QRID_CONFIG: file } })).toThrow(/not valid YAML/);
    expect(problemsOf(() => loadConfig({ env: { PORT: 'abc' } }))[0]).toMatch(/^PORT:/);
  });
});

describe('config/qrid.example.yaml', () => {
  it('is a valid configuration (with its secrets in the environment)', () => {
    const raw = parse(readFileSync(join(projectRoot, 'config/qrid.example.yaml'), 'utf8')) as unknown;
    const config = loadConfig({
      raw,
      env: { QRID_COOKIE_KEYS: 'example-cookie-key-0123456789abcdef012345', GRAFANA_CLIENT_SECRET: 'g'.repeat(40), WIKI_CLIENT_SECRET: 'w'.repeat(40) },
    });
    expect(config.issuer).toBe('https://id.example.com');
    expect(config.clients.map((c) => c.client_id)).toEqual(['grafana', 'wiki', 'dashboard-spa', 'qrid-admin']);
    expect(config.metrics.listen).toBe('127.0.0.1:9464');
  });
});
