// Module resolution hook: imports of "fs"/"node:fs" from anywhere but the shim
// itself resolve to shim/fs.mjs, which adds globSync on Node < 22.
const shim = new URL('./fs.mjs', import.meta.url).href;
export async function resolve(specifier, context, next) {
  if ((specifier === 'fs' || specifier === 'node:fs') && context.parentURL &&
      !context.parentURL.startsWith(new URL('.', import.meta.url).href))
    return { url: shim, shortCircuit: true };
  return next(specifier, context);
}
