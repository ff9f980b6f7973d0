// Run the conformance CLI as `node --import ./preload.mjs ...`: on Node < 22
// (Debian 12 ships 18, this machine has 20) it lacks fs.globSync, which the
// CLI imports by name; the hook below supplies it. Newer Node is left alone.
import fs from 'node:fs';
import { register } from 'node:module';
if (typeof fs.globSync !== 'function')
  register('./shim/hooks.mjs', import.meta.url);
