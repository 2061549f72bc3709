import { describe, expect, it } from 'vitest';

import { chooseLanguage } from './choose-language.js';

describe('chooseLanguage', () => {
  it('takes the person\'s choice first, then the browser\'s languages by q-value, then English', () => {
    expect(chooseLanguage('de', 'en-US,en;q=0.9')).toBe('de');
    expect(chooseLanguage(undefined, 'de-DE,de;q=0.9,en;q=0.8')).toBe('de');
    expect(chooseLanguage(undefined, 'fr-FR,fr;q=0.9,de;q=0.5,en;q=0.4')).toBe('de');
    expect(chooseLanguage(undefined, 'en;q=0.3, de;q=0.7')).toBe('de');
    expect(chooseLanguage(undefined, 'fr, es')).toBe('en');
    expect(chooseLanguage('xx', 'de;q=0')).toBe('en');
    expect(chooseLanguage(undefined, undefined)).toBe('en');
    expect(chooseLanguage(undefined, '*')).toBe('en');
  });
});
