export const HELP = `lockstep: shared task state for parallel agents

Usage: lockstep [--root DIR] [--json] <command> [args]

Setup
  init                                   create the layout; migrate ../.parallel-dev-state.json
Tasks
  task get <id>                          current state
  task update <id> <json|-> [--expect-version N] [--session SID] [--owner LABEL] [--timeout MS]
  task history <id>                      versions, newest first
  task list                              current state of every task
  task recover <id>                      restore state.json from the newest valid version
  task restore <id> <version> [--owner LABEL]   write an earlier version back as a new one
Locks
  lock acquire <id> [--mode read|write] [--hold MS] [--owner LABEL] [--timeout MS]
  locks                                  every holder, one entry per reader, with waiters
  contention [--window MS]               per-task waits and time-outs, most contended first
  gc                                     remove expired/dead locks and crash left-overs
Sessions
  session create [--options JSON]
  session update <sid> <json>
  session get <sid>
  session list [--active]
Checkpoints
  checkpoint create <sid> [--reason TEXT]
  checkpoint list
  checkpoint show <cid>
  checkpoint restore <cid> [--dry-run]   prints the undo checkpoint: restoring it undoes the restore
Inspection
  verify                                 integrity problems: {issues: [...]}
  log [--task ID] [--since ISO] [--limit N] [--follow]
Simulation and dashboard
  simulate --agents N --tasks M --seconds S
  serve [--port P] [--host 127.0.0.1]    the dashboard in a browser

Exit codes: 0 ok, 1 not found, 2 invalid input or usage, 3 version conflict,
4 lock time-out, 5 corrupt and unrecoverable, 6 filesystem error, 7 partial restore.
Environment: LOCKSTEP_ROOT selects the state root.`;
