/** A CLI failure with the exit code to use; the message is for the person at the terminal. */
export class CliError extends Error {
  override readonly name = 'CliError';

  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

export const needsSharedStore = (command: string) =>
  new CliError(
    `"qrid ${command}" needs the shared store, but the configured store is the in-memory one.\n` +
      'The in-memory store lives inside the running qrid server process (and is lost when it stops), so no other\n' +
      'process can reach it. Run qrid with QRID_STORE=redis (and REDIS_URL), and run this command with the same settings.\n' +
      'With the in-memory store, use the setup link that "npm start" prints to enroll the first administrator.',
    2,
  );
