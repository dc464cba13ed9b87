// `@drover/shared/operations`: params and results of the agent's container and kamal-proxy operations.
export * from './operations/common.js';
export * from './operations/image.js';
export * from './operations/app.js';
export * from './operations/proxy.js';
export * from './operations/accessory.js';
export * from './operations/host.js';
export * from './operations/catalog.js';
