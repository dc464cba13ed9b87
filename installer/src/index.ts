export const packageName = '@drover/installer';
