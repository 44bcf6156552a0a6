export * from './common';
export * from './stage0';
export * from './stage1';
export * from './stage2';
export * from './stage3';
