// Module resolve hook registered by native-addon-redirect.mjs: bare `better-sqlite3` → its per-ABI copy.
let redirects = {};

export function initialize(data) {
  redirects = data ?? {};
}

export function resolve(specifier, context, nextResolve) {
  const url = redirects[specifier];
  return url ? { url, format: 'commonjs', shortCircuit: true } : nextResolve(specifier, context);
}
