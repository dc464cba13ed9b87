export const packageName = '@drover/proxy';
export { ProxyServer, type ServerConfig } from './server.js';
export { PROXY_VERSION } from './cli/app.js';
