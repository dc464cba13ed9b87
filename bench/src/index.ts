export const packageName = '@drover/bench';
