// Limits both sides of the contract know. Kept apart from contract.ts, whose
// request schemas need zod: the renderer imports these values, and zod would
// otherwise ship in the page's first script (~100 KB the first screen never uses).

/** The most lock events one getLockEvents answer carries (newest first kept). */
export const LOCK_EVENTS_LIMIT = 100_000;

/** The most versions one getTask response carries: the timeline stays light for huge histories. */
export const TASK_HISTORY_LIMIT = 200;
