import nunjucks from 'nunjucks';

import { viewsDir } from '../paths.js';

/** Server-rendered pages. Autoescaping is on: every value is HTML-escaped unless marked safe. */
export interface Views {
  render(name: string, context?: Record<string, unknown>): string;
}

export function createViews(dir: string = viewsDir): Views {
  const env = new nunjucks.Environment(new nunjucks.FileSystemLoader(dir, { noCache: false }), {
    autoescape: true,
    throwOnUndefined: false,
  });
  return {
    render: (name, context = {}) => env.render(name, context),
  };
}
