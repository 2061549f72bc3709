import { readFileSync, writeFileSync } from 'node:fs';

import { BackupError, exportBackup, importBackup, NOT_IN_BACKUP } from '../backup/backup.js';
import type { Config } from '../config/schema.js';
import type { Store } from '../store/store.js';
import { CliError } from './cli-error.js';
import type { Output } from './users-commands.js';

/** `qrid export [--file F]`: a backup to the file, or to standard output. */
export async function exportCommand(config: Config, store: Store, io: Output, args: { file?: string }): Promise<void> {
  const lines: string[] = [];
  const counts = await exportBackup(store, config, (line) => lines.push(line));
  const text = `${lines.join('\n')}\n`;
  if (!args.file) {
    process.stdout.write(text);
    return;
  }
  writeFileSync(args.file, text, { mode: 0o600 });
  io.out(`Wrote ${args.file}: ${describe(counts)}.`);
  io.out(`Not in it: ${NOT_IN_BACKUP}. Restore it with the same cookie keys (the keys in it are sealed with them).`);
}

/** `qrid import <file>`: restores a backup into an empty store. */
export async function importCommand(config: Config, store: Store, io: Output, args: { file: string }): Promise<void> {
  let text: string;
  try {
    text = readFileSync(args.file, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read ${args.file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  try {
    const counts = await importBackup(store, config, text);
    io.out(`Restored ${describe(counts)}. People sign in to their apps again; their phones stay enrolled.`);
  } catch (error) {
    if (error instanceof BackupError) throw new CliError(error.message);
    throw error;
  }
}

function describe(counts: Record<string, number>): string {
  return Object.entries(counts).map(([type, n]) => `${n} ${type}${n === 1 ? '' : 's'}`).join(', ') || 'nothing';
}
