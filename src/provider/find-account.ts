import type { Account, FindAccount } from 'oidc-provider';

import type { Users } from '../accounts/users.js';

/** Accounts for oidc-provider: qrid's users; a disabled or removed user has no account. */
export function findAccount(users: Users): FindAccount {
  return async (_ctx, sub): Promise<Account | undefined> => {
    const user = await users.findActive(sub);
    if (!user) return undefined;
    return {
      accountId: user.id,
      async claims() {
        return {
          sub: user.id,
          name: user.name,
          preferred_username: user.username,
          // Only an administrator sets an email (users cannot), so the organisation vouches for it.
          ...(user.email ? { email: user.email, email_verified: true } : {}),
          groups: user.groups,
        };
      },
    };
  };
}
