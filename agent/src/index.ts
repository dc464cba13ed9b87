export const packageName = '@drover/agent';
