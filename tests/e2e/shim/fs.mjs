// node:fs plus globSync: what `import ... from "fs"` resolves to under the preload.
import fs from 'node:fs';
import { globSync as fallback } from './globsync.mjs';
export * from 'node:fs';
export const globSync = typeof fs.globSync === 'function' ? fs.globSync : fallback;
if (typeof fs.globSync !== 'function') fs.globSync = fallback;
export default fs;
