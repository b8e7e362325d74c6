// First run: nothing in the root yet. Show how to start, or start a demo
// (the host switches to a temporary root and pushes a reset).
import { useApi, useMirror } from '../../app/services.ts';
import { useAction } from '../../lib/use-action.ts';
import { BusyButton } from '../../components/BusyButton.tsx';
import { ErrorMessage } from '../../components/ErrorMessage.tsx';

const INIT = { cmd: 'lockstep init', why: 'create the state layout in this root' };
const NEXT_STEPS = [
  { cmd: `lockstep task update <id> '{"status":"in_progress"}'`, why: 'write a task; every write becomes a version' },
  { cmd: 'lockstep simulate --agents 4 --tasks 12 --seconds 60', why: 'watch real agent processes contend for tasks' },
];

/** The steps to start from here: `init` comes first only while the root does not exist yet. */
export function firstSteps(rootPresent: boolean): { cmd: string; why: string }[] {
  return rootPresent ? NEXT_STEPS : [INIT, ...NEXT_STEPS];
}

export function EmptyRoot() {
  const api = useApi();
  const root = useMirror((s) => s.root);
  const rootPresent = useMirror((s) => s.watch.rootPresent);
  // The host pushes a reset for the demo root; the store switches on its own.
  const starting = useAction(async () => {
    await api.startDemo({});
  });
  return (
    <section className="panel onboarding" aria-labelledby="start-title">
      <h2 id="start-title" className="onboarding-title">
        No tasks or sessions yet
      </h2>
      <p className="muted">
        Watching <span className="mono">{root || 'the state root'}</span>
        {rootPresent ? '' : ', which does not exist yet'}. Everything agents write there shows up here live. To get started:
      </p>
      <ol className="commands">
        {firstSteps(rootPresent).map(({ cmd, why }) => (
          <li key={cmd}>
            <code className="cmd">{cmd}</code>
            <span className="muted small">{why}</span>
          </li>
        ))}
      </ol>
      <div className="onboarding-actions">
        <BusyButton className="btn btn-primary" busy={starting.busy} busyLabel="Starting demo…" onClick={starting.run}>
          Start demo
        </BusyButton>
        <span className="muted small">Runs a short simulation in a temporary folder; your root is not touched.</span>
      </div>
      {starting.error ? <ErrorMessage error={starting.error} title="Could not start the demo" /> : null}
    </section>
  );
}
