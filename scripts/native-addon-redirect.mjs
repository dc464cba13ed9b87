// Preloaded (--import) when the unit tests run under an extra Node version (scripts/extra-node.mjs):
// `import 'better-sqlite3'` loads the copy compiled for this Node's ABI instead of node_modules' copy,
// which was compiled for the Node that ran `npm ci`. DROVER_NATIVE_ADDONS: {abi, addons: {package name: entry URL}}.
import { register } from 'node:module';

// The copies are compiled for one ABI; a process of another Node (an explicit /usr/bin/node) keeps node_modules'.
const { abi, addons = {} } = JSON.parse(process.env.DROVER_NATIVE_ADDONS ?? '{}');
if (abi === process.versions.modules && Object.keys(addons).length > 0) {
  register(new URL('./native-addon-resolve.mjs', import.meta.url), { data: addons });
}
