import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { projectRoot } from '../paths.js';
import en from './locales/en.json' with { type: 'json' };
import { hasMessage, LANGUAGE_CODES, LANGUAGES, translate, translateCount } from './catalogues.js';

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
const tags = (text: string) => [...text.matchAll(/<\/?(\w+)/g)].map((m) => m[1]).sort();

describe('the translation catalogues', () => {
  it('every catalogue has every key of the English one, with the same placeholders and tags, and nothing else', () => {
    const files = readdirSync(join(projectRoot, 'src/i18n/locales')).map((f) => f.replace(/\.json$/, ''));
    expect(files.sort()).toEqual([...LANGUAGE_CODES].sort());
    for (const code of LANGUAGE_CODES) {
      const messages = LANGUAGES[code].messages as Record<string, string>;
      expect(Object.keys(messages).sort(), code).toEqual(Object.keys(en).sort());
      for (const [key, text] of Object.entries(en)) {
        expect(placeholders(messages[key] ?? ''), `${code} ${key}`).toEqual(placeholders(text));
        expect(tags(messages[key] ?? ''), `${code} ${key}`).toEqual(tags(text));
      }
    }
  });

  it('every key the pages, the scripts\' texts and the code use exists', () => {
    const used = new Set<string>();
    const scan = (dir: string, pattern: RegExp) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) scan(path, pattern);
        else if (/\.(njk|ts)$/.test(entry.name) && !entry.name.endsWith('.test.ts')) {
          for (const m of readFileSync(path, 'utf8').matchAll(pattern)) used.add(m[1] as string);
        }
      }
    };
    scan(join(projectRoot, 'views'), /\bt\('([\w.]+)'/g);
    scan(join(projectRoot, 'src'), /\bt\('([\w.]+)'/g);
    scan(join(projectRoot, 'src'), /'((?:error|phone\.notice|consent\.scope|protocol)\.[\w.]*\w)'(?!\.)/g);
    expect(used.size).toBeGreaterThan(100);
    expect([...used].filter((key) => !hasMessage(key) && !/\.(njk|js|ts)$/.test(key))).toEqual([]);
  });

  it('fills placeholders, escapes them where asked, falls back to English and counts by plural rules', () => {
    expect(translate('de', 'qr.title', { app: 'Grafana' })).toBe('Bei Grafana anmelden');
    expect(translate('en', 'qr.heading', { app: '<b>x</b>' }, (v) => v.replace(/</g, '&lt;'))).toBe('Sign in to <span class="client">&lt;b>x&lt;/b></span>');
    expect(translateCount('en', 'admin.users.devices', 1)).toBe('1 device');
    expect(translateCount('de', 'admin.users.devices', 2)).toBe('2 Geräte');
  });
});
