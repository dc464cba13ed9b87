/** Drover's own version, reported by the CLI, the agent and the protocol hello. */
export const DROVER_VERSION = '0.1.0';
