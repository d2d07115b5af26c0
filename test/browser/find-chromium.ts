import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Env variables naming the browser binary, in the order they are read. */
export const CHROMIUM_ENV_VARIABLES = ['CHROMIUM_PATH', 'BROWSER_PATH'] as const;
/** Commands looked up on the PATH when no env variable is set, in this order. */
export const CHROMIUM_COMMANDS = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'] as const;

/** The browser test's Chromium is missing (or an env variable names a file that cannot run). */
export class ChromiumNotFoundError extends Error {
  override name = 'ChromiumNotFoundError';
}

function isExecutableFile(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/**
 * The Chromium (or Chrome) binary the browser test drives: `CHROMIUM_PATH` or `BROWSER_PATH` when set (an
 * error when that file cannot run), else the first of {@link CHROMIUM_COMMANDS} found on `env.PATH`.
 * Throws {@link ChromiumNotFoundError} with the install instruction when there is none.
 */
export function findChromium(env: NodeJS.ProcessEnv = process.env): string {
  for (const variable of CHROMIUM_ENV_VARIABLES) {
    const file = env[variable];
    if (!file) continue;
    if (isExecutableFile(file)) return file;
    throw new ChromiumNotFoundError(`${variable}=${file} is not an executable file: point it at a Chromium or Chrome binary.`);
  }
  const dirs = (env.PATH ?? '').split(delimiter).filter(Boolean);
  for (const command of CHROMIUM_COMMANDS) {
    for (const dir of dirs) {
      const file = join(dir, command);
      if (isExecutableFile(file)) return file;
    }
  }
  throw new ChromiumNotFoundError(
    `The browser test needs Chromium and none was found (looked for ${CHROMIUM_COMMANDS.join(', ')} on PATH). ` +
      'Install it (Debian/Ubuntu: apt-get install -y chromium), or set CHROMIUM_PATH to a Chromium or Chrome ' +
      'binary (macOS: CHROMIUM_PATH="/Applications/Google Chrome.app/Contents/MacOS/Google Chrome").',
  );
}
