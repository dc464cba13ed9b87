export { DROVER_VERSION } from './version.js';
export { UserError, isUserError, describeError } from './errors.js';
