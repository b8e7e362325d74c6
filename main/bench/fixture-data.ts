// Deterministic content and the work of the fixture generator, shared by the
// parent (fixture.ts, which also runs small fixtures in-process) and its
// worker processes (fixture-worker.ts). Everything is written through the engine.
import type { JsonObject, StateStore } from '../engine/index.ts';
import { seededRandom } from '../../shared/seeded-random.ts';

/** A fixture is the same for the same seed. */
export const rng = seededRandom;

function pick<T>(r: () => number, list: readonly T[]): T {
  return list[Math.floor(r() * list.length)]!;
}

const AREAS = ['api', 'ui', 'db', 'auth', 'infra', 'docs', 'cli', 'tests', 'search', 'billing'] as const;
const VERBS = ['Add', 'Fix', 'Refactor', 'Migrate', 'Document', 'Speed up', 'Harden', 'Remove', 'Split', 'Rename'];
const THINGS: Record<(typeof AREAS)[number], string[]> = {
  api: ['pagination on /v2/orders', 'rate limiter middleware', 'error envelope', 'webhook retries', 'OpenAPI schema'],
  ui: ['settings page layout', 'dark mode tokens', 'task table virtualization', 'toast queue', 'keyboard shortcuts'],
  db: ['orders index', 'migration 0042', 'connection pool sizing', 'soft deletes', 'audit triggers'],
  auth: ['token refresh', 'SSO callback', 'session revocation', 'password policy', 'MFA enrolment'],
  infra: ['CI cache keys', 'staging Terraform', 'log shipping', 'container base image', 'health checks'],
  docs: ['getting started guide', 'API changelog', 'architecture notes', 'runbook for outages', 'contributing guide'],
  cli: ['--json output', 'config discovery', 'progress bar', 'shell completions', 'exit codes'],
  tests: ['flaky e2e login test', 'fixtures for orders', 'contract tests', 'coverage gate', 'snapshot cleanup'],
  search: ['typo tolerance', 'facet counts', 'reindex job', 'synonyms file', 'ranking weights'],
  billing: ['proration', 'invoice PDF', 'tax rounding', 'dunning emails', 'usage metering'],
};
const AGENTS = ['claude-1', 'claude-2', 'claude-3', 'claude-4', 'codex-a', 'codex-b', 'gemini-1', 'aider-1', 'devin-1', 'local-llm'];
const FILES: Record<(typeof AREAS)[number], string[]> = {
  api: ['src/api/orders.ts', 'src/api/middleware/rate-limit.ts', 'src/api/errors.ts', 'src/api/webhooks.ts', 'openapi.yaml'],
  ui: ['web/src/pages/Settings.tsx', 'web/src/theme/tokens.ts', 'web/src/components/TaskTable.tsx', 'web/src/components/Toast.tsx'],
  db: ['db/migrations/0042_orders_index.sql', 'src/db/pool.ts', 'src/db/models/order.ts', 'db/triggers/audit.sql'],
  auth: ['src/auth/refresh.ts', 'src/auth/sso.ts', 'src/auth/session.ts', 'src/auth/policy.ts', 'src/auth/mfa.ts'],
  infra: ['.github/workflows/ci.yml', 'infra/staging/main.tf', 'infra/logging/vector.toml', 'Dockerfile', 'k8s/health.yaml'],
  docs: ['docs/getting-started.md', 'CHANGELOG.md', 'docs/architecture.md', 'docs/runbook.md', 'CONTRIBUTING.md'],
  cli: ['src/cli/output.ts', 'src/cli/config.ts', 'src/cli/progress.ts', 'completions/bash', 'src/cli/exit-codes.ts'],
  tests: ['e2e/login.spec.ts', 'test/fixtures/orders.json', 'test/contract/orders.test.ts', 'vitest.config.ts'],
  search: ['src/search/typos.ts', 'src/search/facets.ts', 'jobs/reindex.ts', 'config/synonyms.txt', 'src/search/rank.ts'],
  billing: ['src/billing/proration.ts', 'src/billing/invoice-pdf.ts', 'src/billing/tax.ts', 'src/billing/dunning.ts'],
};
export const TASK_STATUSES = ['pending', 'in_progress', 'review', 'completed', 'failed'] as const;
type TaskStatus = (typeof TASK_STATUSES)[number];
type SessionStatus = 'active' | 'completed' | 'abandoned';

export interface FixturePlan {
  tasks: number;
  history: number;
  sessions: number;
  checkpoints: number;
  seed: number;
}

export function taskId(plan: FixturePlan, index: number): string {
  const area = AREAS[Math.floor(rng(plan.seed * 7919 + index)() * AREAS.length)]!;
  return `${area}-${String(index + 1).padStart(5, '0')}`;
}

/** Tasks are spread over sessions in contiguous blocks of (almost) equal size. */
export function sessionIndexOf(plan: FixturePlan, taskIndex: number): number {
  return Math.min(plan.sessions - 1, Math.floor((taskIndex * plan.sessions) / plan.tasks));
}

export function sessionStatus(plan: FixturePlan, sessionIndex: number): SessionStatus {
  // Older sessions are mostly finished; the newest third is still running.
  if (sessionIndex >= Math.floor((plan.sessions * 2) / 3)) return 'active';
  return rng(plan.seed * 104729 + sessionIndex)() < 0.85 ? 'completed' : 'abandoned';
}

export function sessionOptions(plan: FixturePlan, sessionIndex: number): JsonObject {
  const r = rng(plan.seed * 31337 + sessionIndex);
  const area = pick(r, AREAS);
  return {
    name: `sprint ${Math.floor(sessionIndex / 4) + 1}: ${area} ${pick(r, ['hardening', 'cleanup', 'features', 'migration', 'performance'])}`,
    repo: pick(r, ['acme/webapp', 'acme/api', 'acme/infra']),
    base_branch: 'main',
    agents: 1 + Math.floor(r() * 6),
    started_by: pick(r, ['alice', 'bob', 'carol', 'dave']),
  };
}

function finalStatus(r: () => number, session: SessionStatus): TaskStatus {
  const x = r();
  if (session === 'completed') return x < 0.9 ? 'completed' : 'failed';
  if (session === 'abandoned') return x < 0.4 ? 'failed' : x < 0.7 ? 'in_progress' : 'pending';
  return x < 0.2 ? 'pending' : x < 0.5 ? 'in_progress' : x < 0.65 ? 'review' : x < 0.9 ? 'completed' : 'failed';
}

export interface TaskVersion {
  update: JsonObject;
  owner: string;
}

/** The H updates of one task, oldest first: the last one leaves it in its final status. */
export function taskVersions(plan: FixturePlan, index: number): TaskVersion[] {
  const r = rng(plan.seed * 1_000_003 + index);
  const id = taskId(plan, index);
  const area = id.slice(0, id.indexOf('-')) as (typeof AREAS)[number];
  const session = sessionStatus(plan, sessionIndexOf(plan, index));
  const final = finalStatus(r, session);
  const owner = pick(r, AGENTS);
  const title = `${pick(r, VERBS)} ${pick(r, THINGS[area])}`;
  const branch = `${owner}/${id}-${title
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 40)}`;
  const files = FILES[area];
  const H = plan.history;
  const out: TaskVersion[] = [];
  const changed: string[] = [];
  for (let v = 1; v <= H; v++) {
    const last = v === H;
    // Status walks pending → in_progress → review → final; progress follows.
    const frac = H === 1 ? 1 : (v - 1) / (H - 1);
    let status: TaskStatus;
    if (last) status = final;
    else if (final === 'pending') status = 'pending';
    else if (v === 1) status = 'pending';
    else if (frac > 0.8 && (final === 'completed' || final === 'review')) status = 'review';
    else status = 'in_progress';
    const target = final === 'completed' ? 100 : final === 'review' ? 95 : final === 'pending' ? 0 : 20 + Math.floor(r() * 70);
    const progress = status === 'pending' ? 0 : last ? target : Math.min(target, Math.round(target * frac));
    if (status !== 'pending' && r() < 0.6) {
      const f = pick(r, files);
      if (!changed.includes(f)) changed.push(f);
    }
    const update: JsonObject = {
      status,
      progress,
      counter: v,
      notes: noteFor(r, status, v, title),
    };
    if (v === 1) {
      Object.assign(update, {
        title,
        area,
        priority: pick(r, ['p0', 'p1', 'p1', 'p2', 'p2', 'p3']),
        agent: owner,
        branch,
        estimate_hours: Math.round((0.5 + r() * 12) * 2) / 2,
        labels: r() < 0.5 ? [area] : [area, pick(r, ['good-first-issue', 'tech-debt', 'customer', 'security', 'flaky'])],
        files_changed: [],
      });
      if (r() < 0.15) update.blocked_by = [taskId(plan, Math.floor(r() * plan.tasks))];
    }
    if (changed.length > 0) update.files_changed = [...changed];
    if (status !== 'pending' && r() < 0.5) {
      const total = 20 + Math.floor(r() * 300);
      const failed = status === 'failed' || r() < 0.1 ? 1 + Math.floor(r() * 5) : 0;
      update.tests = { passed: total - failed, failed, skipped: Math.floor(r() * 4), duration_s: Math.round(r() * 900) / 10 };
    }
    if (status === 'review' || (last && final === 'completed')) {
      const pr = 1000 + ((index * 7 + 13) % 9000);
      update.pr = {
        number: pr,
        url: `https://github.com/acme/webapp/pull/${pr}`,
        state: final === 'completed' && last ? 'merged' : 'open',
        reviewers: [pick(r, ['alice', 'bob', 'carol'])],
      };
      update.checks = [
        { name: 'lint', ok: true },
        { name: 'unit', ok: final !== 'failed' },
        { name: 'e2e', ok: r() < 0.9 },
      ];
    }
    if (last && final === 'failed') {
      update.error = {
        message: pick(r, [
          'tests failed after rebase',
          'merge conflict in lockfile',
          'type errors in generated client',
          'timeout waiting for CI',
        ]),
        exit_code: 1 + Math.floor(r() * 2),
        at_step: v,
      };
    }
    // A task is sometimes handed to another agent mid-way.
    out.push({ update, owner: v > 1 && r() < 0.05 ? pick(r, AGENTS) : owner });
  }
  return out;
}

function noteFor(r: () => number, status: TaskStatus, v: number, title: string): string {
  switch (status) {
    case 'pending':
      return `Queued: ${title}.`;
    case 'in_progress':
      return pick(r, [
        `Step ${v}: reading the existing code and tests.`,
        `Step ${v}: implementation in progress; ${1 + Math.floor(r() * 6)} files touched so far.`,
        `Step ${v}: fixing failing tests after the last change.`,
        `Step ${v}: rebased on main, resolving conflicts.`,
      ]);
    case 'review':
      return 'Opened a PR; waiting for review and CI.';
    case 'completed':
      return 'Merged. All checks green.';
    case 'failed':
      return 'Gave up after repeated failures; see error.';
  }
}

export const CHECKPOINT_REASONS = ['auto', 'auto', 'auto', 'manual', 'before-merge', 'before-rebase', 'end-of-day'] as const;

/** Write tasks [from, to) through the engine: H updates each, the first one linking the task to its session. */
export async function writeTasks(
  store: StateStore,
  plan: FixturePlan,
  sessionIds: readonly string[],
  from: number,
  to: number,
): Promise<number> {
  let updates = 0;
  for (let i = from; i < to; i++) {
    const id = taskId(plan, i);
    const session = sessionIds[sessionIndexOf(plan, i)]!;
    const versions = taskVersions(plan, i);
    for (let v = 0; v < versions.length; v++) {
      const { update, owner } = versions[v]!;
      await store.updateTaskState(id, update, { owner, ...(v === 0 ? { session } : {}) });
      updates++;
    }
  }
  return updates;
}

export interface CheckpointJob {
  session: string;
  reason: string;
}

/** C checkpoints, round-robin over the sessions that have tasks. */
export function checkpointJobs(plan: FixturePlan, sessionIds: readonly string[]): CheckpointJob[] {
  const used = new Set<number>();
  for (let i = 0; i < plan.tasks; i++) used.add(sessionIndexOf(plan, i));
  const withTasks = sessionIds.filter((_, s) => used.has(s));
  const pool = withTasks.length > 0 ? withTasks : sessionIds;
  const r = rng(plan.seed * 65537);
  return Array.from({ length: plan.checkpoints }, (_, j) => ({ session: pool[j % pool.length]!, reason: pick(r, CHECKPOINT_REASONS) }));
}

export async function writeCheckpoints(store: StateStore, jobs: readonly CheckpointJob[]): Promise<number> {
  for (const job of jobs) await store.createCheckpoint(job.session, job.reason);
  return jobs.length;
}
