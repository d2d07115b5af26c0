import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { findChromium } from './find-chromium.js';

/**
 * Launches headless Chromium (found by {@link findChromium}, driven by playwright-core: no downloaded
 * browsers) with a fresh profile and playwright's artifacts in one scratch directory, which `close()`
 * removes, and so does a failed launch.
 */
export async function launchChromium(
  viewport = { width: 1280, height: 860 },
  executablePath = findChromium(),
): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const scratch = mkdtempSync(join(tmpdir(), 'bitmapist-chromium-'));
  const artifactsDir = join(scratch, 'artifacts');
  mkdirSync(artifactsDir);
  const launching = chromium.launchPersistentContext(join(scratch, 'profile'), {
    executablePath,
    headless: true,
    viewport,
    // Not in playwright's public types, but honoured: without it a failed launch leaves
    // $TMPDIR/playwright-artifacts-* behind (test/browser/find-chromium.test.ts checks this).
    ...({ artifactsDir } as object),
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
    rmSync(scratch, { recursive: true, force: true });
    throw error;
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(scratch, { recursive: true, force: true });
    },
  };
}
