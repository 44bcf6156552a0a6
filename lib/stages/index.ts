export * from './common';
export * from './stage0';
export * from './stage1';
