import { QridError } from '../errors/qrid-error.js';
import { randomToken } from '../security/tokens.js';
import type { Fields, Store } from '../store/store.js';

/** People who can sign in. No passwords: a user signs in only through an enrolled device. */
export interface User {
  id: string;
  username: string;
  name: string;
  email: string;
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
  admin?: boolean;
}

const USERNAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const userKey = (id: string) => `user:${id}`;
const usernameKey = (username: string) => `user-by-name:${username}`;
const ALL_USERS = 'users';

export function validateNewUser(input: NewUser): Required<NewUser> {
  const username = String(input.username ?? '').trim().toLowerCase();
  if (!USERNAME.test(username)) {
    throw new QridError(400, 'invalid_username');
  }
  const name = String(input.name ?? '').trim().slice(0, 100) || username;
  const email = String(input.email ?? '').trim();
  if (email && (!EMAIL.test(email) || email.length > 254)) {
    throw new QridError(400, 'invalid_email', { params: { email: email.slice(0, 60) } });
  }
  return { username, name, email, admin: Boolean(input.admin) };
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

  /** Disabling also voids every enrollment link made so far, for good: enabling does not bring one back. */
  async setDisabled(user: User, disabled: boolean): Promise<void> {
    await this.store.patchRecord(userKey(user.id), disabled ? { disabled: '1', linksVoidedAt: String(Date.now()) } : { disabled: '' });
  }

  async delete(user: User): Promise<void> {
    await this.store.deleteKeys([userKey(user.id), usernameKey(user.username)]);
    await this.store.removeFromIndex(ALL_USERS, user.id);
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
    admin: f.admin === '1',
    disabled: f.disabled === '1',
    createdAt: Number(f.createdAt ?? 0),
    linksVoidedAt: Number(f.linksVoidedAt ?? 0),
  };
}
