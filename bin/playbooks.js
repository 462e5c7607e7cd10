#!/usr/bin/env node
// The `playbooks` command. From the built package it runs dist/cli/main.js; in a checkout
// without a build it registers tsx and runs the TypeScript sources.
import { existsSync } from 'node:fs';

const built = new URL('../dist/cli/main.js', import.meta.url);
if (existsSync(built)) {
  await import(built.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL('../cli/main.ts', import.meta.url).href);
}
