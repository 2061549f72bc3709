import { QridError } from '../errors/qrid-error.js';
import { randomToken } from '../security/tokens.js';
import type { Fields, Store } from '../store/store.js';

/** People who can sign in. No passwords: a user signs in only through an enrolled device. */
export interface User {
  id: string;
  username: string;
  name: string;
  /** Set by an administrator (never by the user), so it is sent as verified. */
  email: string;
  /** Sent to apps in the `groups` claim (scope `groups`), which map roles from it. */
  groups: string[];
  admin: boolean;
  disabled: boolean;
  createdAt: number;
  /** Enrollment links made up to this moment are void for good (set whenever the user is disabled). */
  linksVoidedAt: number;
}

export interface NewUser {
  username: string;
  name?: string;
  email?: string;
  groups?: readonly string[];
  admin?: boolean;
}

/** What an administrator may change about a user. */
export interface ProfileChange {
  name?: string;
  email?: string;
  groups?: readonly string[];
}

const USERNAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;
/** Group names as apps' role mappings match them: no spaces; `/` for paths such as `org/team`. */
const GROUP = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}$/;
const MAX_GROUPS = 50;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const userKey = (id: string) => `user:${id}`;
const usernameKey = (username: string) => `user-by-name:${username}`;
const ALL_USERS = 'users';

export function validateNewUser(input: NewUser): Required<Omit<NewUser, 'groups'>> & { groups: string[] } {
  const username = String(input.username ?? '').trim().toLowerCase();
  if (!USERNAME.test(username)) {
    throw new QridError(400, 'invalid_username');
  }
  const name = validName(input.name) || username;
  return { username, name, email: validEmail(input.email), groups: validGroups(input.groups ?? []), admin: Boolean(input.admin) };
}

function validName(name: unknown): string {
  return String(name ?? '').trim().slice(0, 100);
}

function validEmail(input: unknown): string {
  const email = String(input ?? '').trim();
  if (email && (!EMAIL.test(email) || email.length > 254)) {
    throw new QridError(400, 'invalid_email', { params: { email: email.slice(0, 60) } });
  }
  return email;
}

/** Trimmed, without duplicates, each a valid group name; at most 50. */
export function validGroups(groups: readonly unknown[]): string[] {
  const out = [...new Set(groups.map((g) => String(g ?? '').trim()).filter(Boolean))];
  const bad = out.find((g) => !GROUP.test(g));
  if (bad !== undefined) throw new QridError(400, 'invalid_group', { params: { group: bad.slice(0, 60) } });
  if (out.length > MAX_GROUPS) throw new QridError(400, 'too_many_groups', { params: { max: MAX_GROUPS } });
  return out.sort();
}

export class Users {
  constructor(private readonly store: Store) {}

  async create(input: NewUser): Promise<User> {
    const valid = validateNewUser(input);
    const user: User = { id: randomToken(12), ...valid, disabled: false, createdAt: Date.now(), linksVoidedAt: 0 };
    if (!(await this.store.putRecordIfAbsent(usernameKey(user.username), { id: user.id }))) {
      throw new QridError(409, 'username_taken', { params: { username: user.username } });
    }
    await this.store.putRecord(userKey(user.id), toFields(user));
    await this.store.addToIndex(ALL_USERS, user.id);
    return user;
  }

  async find(id: string): Promise<User | undefined> {
    if (!id) return undefined;
    const fields = await this.store.getRecord(userKey(id));
    return fields ? fromFields(fields) : undefined;
  }

  async findActive(id: string): Promise<User | undefined> {
    const user = await this.find(id);
    return user && !user.disabled ? user : undefined;
  }

  async findByUsername(username: string): Promise<User | undefined> {
    const ref = await this.store.getRecord(usernameKey(String(username).trim().toLowerCase()));
    return ref?.id ? this.find(ref.id) : undefined;
  }

  /** Changes name, email or groups; the rest of the record stays. */
  async update(user: User, change: ProfileChange): Promise<User> {
    const fields: Fields = {};
    if (change.name !== undefined) fields.name = validName(change.name) || user.username;
    if (change.email !== undefined) fields.email = validEmail(change.email);
    if (change.groups !== undefined) fields.groups = validGroups(change.groups).join(' ');
    const updated = await this.store.patchRecord(userKey(user.id), fields);
    if (!updated) throw new QridError(404, 'not_found');
    return fromFields(updated);
  }

  /** Disabling also voids every enrollment link made so far, for good: enabling does not bring one back. */
  async setDisabled(user: User, disabled: boolean): Promise<void> {
    await this.store.patchRecord(userKey(user.id), disabled ? { disabled: '1', linksVoidedAt: String(Date.now()) } : { disabled: '' });
  }

  async delete(user: User): Promise<void> {
    await this.store.deleteKeys([userKey(user.id), usernameKey(user.username)]);
    await this.store.removeFromIndex(ALL_USERS, user.id);
  }

  /** Backups (src/backup/): every user as stored. */
  async exportRecords(): Promise<Fields[]> {
    const records = await this.store.getRecords((await this.store.indexMembers(ALL_USERS)).map(userKey));
    return records.filter((r): r is Fields => Boolean(r));
  }

  /** Restores a user from a backup (into a store that does not have it). */
  async importRecord(fields: Fields): Promise<void> {
    const user = fromFields(fields);
    if (!user.id || !USERNAME.test(user.username)) throw new Error('a user record needs an id and a valid username');
    validGroups(user.groups);
    if (!(await this.store.putRecordIfAbsent(usernameKey(user.username), { id: user.id }))) throw new Error(`the username ${user.username} is taken`);
    await this.store.putRecord(userKey(user.id), toFields(user));
    await this.store.addToIndex(ALL_USERS, user.id);
  }

  async count(): Promise<number> {
    return (await this.store.indexMembers(ALL_USERS)).length;
  }

  async list(): Promise<User[]> {
    const users = await Promise.all((await this.store.indexMembers(ALL_USERS)).map((id) => this.find(id)));
    return users.filter((u): u is User => Boolean(u)).sort((a, b) => a.username.localeCompare(b.username));
  }
}

function toFields(user: User): Fields {
  return {
    id: user.id,
    username: user.username,
    name: user.name,
    email: user.email,
    groups: user.groups.join(' '),
    admin: user.admin ? '1' : '',
    disabled: user.disabled ? '1' : '',
    createdAt: String(user.createdAt),
    linksVoidedAt: String(user.linksVoidedAt),
  };
}

function fromFields(f: Fields): User {
  return {
    id: f.id ?? '',
    username: f.username ?? '',
    name: f.name ?? '',
    email: f.email ?? '',
    groups: (f.groups ?? '').split(' ').filter(Boolean),
    admin: f.admin === '1',
    disabled: f.disabled === '1',
    createdAt: Number(f.createdAt ?? 0),
    linksVoidedAt: Number(f.linksVoidedAt ?? 0),
  };
}
