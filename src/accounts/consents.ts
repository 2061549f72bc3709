import type { Store } from '../store/store.js';

/**
 * What a person allowed each app to see, remembered for their account until they take it back
 * on their phone's page, so that signing in again (after signing out, or in another browser)
 * does not ask again. oidc-provider's grants live with a browser session and end with it; this
 * record outlives them (provider/create-provider.ts makes a new grant from it).
 */
export interface Consent {
  clientId: string;
  scopes: string[];
  claims: string[];
  grantedAt: number;
}

const consentsKey = (accountId: string) => `account-consents:${accountId}`;
/** Kept this long after it was last given or used; every sign-in that uses it renews it. */
const KEEP_SECONDS = 400 * 24 * 3600;

export class Consents {
  constructor(private readonly store: Store) {}

  /** Adds what was allowed now to what the account already allowed the app. */
  async remember(accountId: string, clientId: string, allowed: { scopes: string[]; claims: string[] }): Promise<void> {
    const before = await this.find(accountId, clientId);
    const scopes = [...new Set([...(before?.scopes ?? []), ...allowed.scopes])];
    const claims = [...new Set([...(before?.claims ?? []), ...allowed.claims])];
    await this.store.putMapEntry(
      consentsKey(accountId),
      clientId,
      { scopes: scopes.join(' '), claims: claims.join(' '), grantedAt: String(before?.grantedAt ?? Date.now()) },
      { ttlSeconds: KEEP_SECONDS },
    );
  }

  async find(accountId: string, clientId: string): Promise<Consent | undefined> {
    const entry = await this.store.mapEntry(consentsKey(accountId), clientId);
    return entry ? toConsent(clientId, entry) : undefined;
  }

  async list(accountId: string): Promise<Consent[]> {
    return [...(await this.store.mapEntries(consentsKey(accountId)))].map(([clientId, entry]) => toConsent(clientId, entry));
  }

  /** Restores a consent from a backup. */
  async importConsent(accountId: string, consent: Consent): Promise<void> {
    await this.store.putMapEntry(
      consentsKey(accountId),
      consent.clientId,
      { scopes: consent.scopes.join(' '), claims: consent.claims.join(' '), grantedAt: String(consent.grantedAt) },
      { ttlSeconds: KEEP_SECONDS },
    );
  }

  async forget(accountId: string, clientId: string): Promise<void> {
    await this.store.removeMapEntries(consentsKey(accountId), [clientId]);
  }

  /** Everything about an account goes with it (the user is removed). */
  async forgetAll(accountId: string): Promise<void> {
    await this.store.deleteKeys([consentsKey(accountId)]);
  }
}

function toConsent(clientId: string, entry: Record<string, string>): Consent {
  const words = (value: string | undefined) => (value ?? '').split(' ').filter(Boolean);
  return { clientId, scopes: words(entry.scopes), claims: words(entry.claims), grantedAt: Number(entry.grantedAt ?? 0) };
}
