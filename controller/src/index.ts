export const packageName = '@drover/controller';
