import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];

/** Debian's Chromium, headless, with the flags this machine's closed network needs. */
export async function launchChromium(): Promise<Browser & AsyncDisposable> {
  const executablePath = process.env.CHROMIUM_BIN ?? CANDIDATES.find((path) => existsSync(path));
  if (!executablePath) {
    throw new Error("Chromium is not installed: the browser tests need Debian's chromium package. Run scripts/setup (or set CHROMIUM_BIN).");
  }
  const browser = await chromium.launch({
    executablePath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  return Object.assign(browser, { [Symbol.asyncDispose]: () => browser.close() });
}
