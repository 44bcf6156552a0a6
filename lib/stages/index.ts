// The stages and their props; the helpers in common.ts are internal.
export type { SecuredStageProps, StageProps } from './common';
export * from './stage0';
export * from './stage1';
export * from './stage2';
export * from './stage3';
