export * from './rule';
export * from './rule-pack';
export * from './stack-view';
export * from './suppressions';
export * from './production-readiness';
export { rateCsp, CSP_MODIFIERS } from './csp';
export type { CspExpectation } from './csp';
export { suppressStageWeaknesses } from './stage-suppressions';
