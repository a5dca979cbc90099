#!/usr/bin/env node
// The `weir` command. Registers tsx first (its ESM and CommonJS hooks: a .ts job file outside a
// "type": "module" package loads as CommonJS), so the CLI's TypeScript source and job files written
// in TypeScript load without a build step.
import { register as registerCommonJs } from 'tsx/cjs/api';
import { register } from 'tsx/esm/api';

registerCommonJs();
register();
const { main } = await import('../src/cli/main.ts');
const status = await main(process.argv.slice(2));
// Exit now rather than wait for stray handles: the command has finished and its output is written.
process.exit(status);
