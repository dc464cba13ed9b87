// Preloaded (--import) when the unit tests run under an extra Node version (scripts/extra-node.mjs):
// `better-sqlite3` loads the copy compiled for this Node's ABI instead of node_modules' copy,
// which was compiled for the Node that ran `npm ci`. DROVER_NATIVE_ADDONS: {abi, addons: {package name: entry URL}}.
import module from 'node:module';

// The copies are compiled for one ABI; a process of another Node (an explicit /usr/bin/node) keeps node_modules'.
const { abi, addons = {} } = JSON.parse(process.env.DROVER_NATIVE_ADDONS ?? '{}');
if (abi === process.versions.modules && Object.keys(addons).length > 0) {
  if (typeof module.registerHooks === 'function') {
    // Synchronous hooks (22.15+, 23.5+) also see require(): the `drover` bundle is CommonJS.
    module.registerHooks({
      resolve: (specifier, context, nextResolve) => (addons[specifier] ? { url: addons[specifier], format: 'commonjs', shortCircuit: true } : nextResolve(specifier, context)),
    });
  } else {
    // Older releases: import() only (scripts/extra-node.test.mjs runs this under the Node that runs the tests).
    module.register(new URL('./native-addon-resolve.mjs', import.meta.url), { data: addons });
  }
}
