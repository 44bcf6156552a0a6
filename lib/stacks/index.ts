export * from './docker-app-stack';
export * from './docker-multi-app';
