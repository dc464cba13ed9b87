export const packageName = '@drover/test';
