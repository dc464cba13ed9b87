export { Rig, type RigOptions } from './rig.js';
export { RigHost } from './host.js';
export type { OperatorSide } from './operator.js';
export type { RegistryInfo } from './registry.js';
export { run, sh, waitFor, sleep, type ExecResult } from './exec.js';
export { BUSYBOX_IMAGE, NODE_RUNTIME_IMAGE, buildImage, pushImage, followProgress } from './images.js';
export { OPERATOR_ADDRESS } from './paths.js';
export { PROXY_COMPAT_VERSION, PROXY_REPOSITORY } from './proxy-image.js';
export { foreignSysroot } from './packages.js';
