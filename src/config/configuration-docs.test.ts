import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import type { ZodType } from 'zod';
import { describe, expect, it } from 'vitest';

import { projectRoot } from '../paths.js';
import { clientSchema, configSchema } from './schema.js';

interface Option {
  path: string;
  default: unknown;
}

/** Every leaf option of a schema with its default, walking through defaults, optionals and objects. */
function options(schema: ZodType, path: string, out: Option[] = []): Option[] {
  let inner = schema as unknown as { def: { type: string; innerType?: unknown; defaultValue?: unknown; shape?: Record<string, ZodType> } };
  let fallback: unknown;
  for (;;) {
    const { type } = inner.def;
    if (type === 'default') fallback = typeof inner.def.defaultValue === 'function' ? (inner.def.defaultValue as () => unknown)() : inner.def.defaultValue;
    if (type !== 'default' && type !== 'prefault' && type !== 'optional') break;
    inner = inner.def.innerType as typeof inner;
  }
  if (inner.def.type === 'object' && inner.def.shape) {
    for (const [name, child] of Object.entries(inner.def.shape)) options(child, path ? `${path}.${name}` : name, out);
  } else out.push({ path, default: fallback });
  return out;
}

describe('docs/configuration.md', () => {
  const doc = readFileSync(join(projectRoot, 'docs/configuration.md'), 'utf8');
  const all = [...options(configSchema, ''), ...options(clientSchema, 'clients[]')];

  it('documents every option of the schema with the schema\'s default, and no option the schema lacks', () => {
    expect(all.length).toBeGreaterThan(50);
    for (const option of all) {
      const row = doc.split('\n').find((line) => line.startsWith(`| \`${option.path}\` |`));
      expect(row, `${option.path} is not documented`).toBeDefined();
      const cell = (row as string).split('|')[2]?.trim() ?? '';
      if (option.default === undefined) expect(cell, option.path).toMatch(/^—/);
      else expect(cell, option.path).toBe(`\`${JSON.stringify(option.default)}\``);
    }
    const documented = [...doc.matchAll(/^\| `([\w.[\]]+)` \|/gm)].map((m) => m[1]).filter((p) => !p?.startsWith('QRID') && p !== 'PORT' && p !== 'REDIS_URL');
    const known = new Set(all.map((o) => o.path));
    expect(documented.filter((p) => !known.has(p as string))).toEqual([]);
  });
});
