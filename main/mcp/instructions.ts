// What the server tells the agent at the handshake (`instructions`): the
// protocol that keeps agents from overwriting each other's work. Clients
// such as Claude Code put it in the model's context.
export const AGENT_PROTOCOL = `Lockstep holds the shared task state of several coding agents working at once. To change a task safely:
1. acquire_lock {task_id, mode: "write"} and keep the returned handle (LOCK_TIMEOUT: someone else holds it; list_locks shows who; wait and retry, or pick other work).
2. get_task {task_id} and read its version.
3. Do the work.
4. update_task {task_id, changes, expected_version: <the version you read>, lock: <handle>}.
5. release_lock {handle}, always, also when the work failed.
For a quick single write without a lock, pass expected_version: VERSION_CONFLICT means someone else wrote first; re-read and decide again.
Errors are tool errors whose text is {"error": {"code", "message", "details"}}; codes: NOT_FOUND, INVALID_INPUT, VERSION_CONFLICT, LOCK_TIMEOUT, CORRUPT_STATE, IO_ERROR, UNAVAILABLE.
Your locks are released when you disconnect. Subscribe to lockstep://tasks/<id> or lockstep://locks to hear about changes.`;
