import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

/** Debian's chromium, driven by playwright-core (no downloaded browsers). */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/**
 * Launches headless chromium on a fresh profile directory (playwright passes it as `--user-data-dir`);
 * `close()` also removes the profile.
 */
export async function launchChromium(viewport = { width: 1280, height: 860 }): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const profile = mkdtempSync(join(tmpdir(), 'bitmapist-chromium-'));
  const launching = chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    viewport,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const context = await launching.catch((error: unknown) => {
    rmSync(profile, { recursive: true, force: true });
    throw error;
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
