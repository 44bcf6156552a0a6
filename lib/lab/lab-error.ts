/** Every error the lab throws on purpose: a message naming what failed and what to do. */
export class LabError extends Error {}
