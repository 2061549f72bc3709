import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

import type { Page } from 'playwright-core';

/**
 * axe-core, served from the test (never by qrid's pages): evaluated in the page through the
 * DevTools protocol, which a page's CSP does not govern, so the page under test is unchanged.
 */
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const WCAG_21_AA = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

/** WCAG 2.1 A/AA violations on the page as it is now, one line each (rule, how many nodes, where). */
export async function axeViolations(page: Page): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async (tags) => {
    const axe = (window as unknown as { axe: { run(context: Document, options: object): Promise<{ violations: Array<{ id: string; nodes: Array<{ target: string[]; failureSummary?: string }> }> }> } }).axe;
    const result = await axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] });
    return result.violations.map((v) => `${v.id}: ${v.nodes.length} × ${v.nodes.slice(0, 3).map((n) => `${n.target.join(' ')} (${(n.failureSummary ?? '').split('\n').slice(1, 2).join('').trim()})`).join('; ')}`);
  }, WCAG_21_AA);
  return violations;
}

export const VIEWPORTS = { desktop: { width: 1280, height: 900 }, phone: { width: 390, height: 844 }, small: { width: 320, height: 568 } } as const;

/** axe on the page in a desktop and a phone viewport, light and dark: every violation, labelled. */
export async function axeEverywhere(page: Page, label: string): Promise<string[]> {
  const found: string[] = [];
  const original = page.viewportSize();
  for (const [name, size] of [['desktop', VIEWPORTS.desktop], ['phone', VIEWPORTS.phone]] as const) {
    await page.setViewportSize(size);
    for (const colorScheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme });
      for (const violation of await axeViolations(page)) found.push(`${label} [${name}, ${colorScheme}] ${violation}`);
    }
  }
  // WCAG 1.4.10 (reflow): at 320 CSS pixels (a small phone, or 1280 px at 400 % zoom) nothing
  // needs scrolling sideways.
  await page.setViewportSize(VIEWPORTS.small);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  if (overflow > 0) found.push(`${label} [320 px] scrolls sideways by ${overflow} px`);
  await page.emulateMedia({ colorScheme: null });
  if (original) await page.setViewportSize(original);
  return found;
}
