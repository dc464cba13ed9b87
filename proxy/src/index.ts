export const packageName = '@drover/proxy';
