export const HELP = `lockstep: shared task state for parallel agents

Usage: lockstep [--root DIR | --etcd URL[,URL…] [--namespace NAME]] [--json] <command> [args]

Where the state lives (global options, every command)
  --root DIR                             a state folder (default: LOCKSTEP_ROOT, else the nearest
                                         .worktrees/.state above the working directory)
  --etcd URL[,URL…]                      an etcd cluster instead (or LOCKSTEP_ETCD), e.g.
                                         http://10.0.0.1:2379,http://10.0.0.2:2379
  --namespace NAME                       key prefix on the cluster (default lockstep)
  --etcd-cacert FILE                     CA certificate (PEM) to verify the cluster's TLS certificate
  --etcd-cert FILE --etcd-key FILE       client certificate and key (PEM) for TLS client auth
  --etcd-user USER                       etcd user; the password is read from LOCKSTEP_ETCD_PASSWORD
                                         (never from the command line)

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
  locks [--deadlocks]                    every holder, one entry per reader, with waiters; deadlocks
                                         as one line each (--json --deadlocks: {locks, deadlocks})
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
Migration between a folder and a cluster
  migrate --from DIR --to-etcd URLS [--namespace NS] [--dry-run]
  migrate --from-etcd URLS --to DIR [--namespace NS] [--dry-run]
                                         copies every task's history, the sessions and the checkpoints;
                                         items already there are 'same', ones that differ are refused (exit 3)
Simulation and dashboard
  simulate --agents N --tasks M --seconds S
  serve [--port P] [--host 127.0.0.1]    the dashboard in a browser (of the folder or the cluster)
Agents
  mcp [--owner LABEL]                    a Model Context Protocol server on stdin/stdout for coding
                                         agents (Claude Code, Codex, Gemini CLI); the locks it holds
                                         for a client carry the client's name, or LABEL

Exit codes: 0 ok, 1 not found, 2 invalid input or usage, 3 version conflict,
4 lock time-out, 5 corrupt and unrecoverable, 6 filesystem error or etcd cluster
unreachable, 7 partial restore.
Environment: LOCKSTEP_ROOT selects the state folder; LOCKSTEP_ETCD a cluster (--root wins over it);
LOCKSTEP_ETCD_PASSWORD the password of --etcd-user.`;
