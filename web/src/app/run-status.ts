// The trainer's one status, from which every view's words come: what it is doing (the phase) and how far the run
// has got. Pure, so each phase's words are unit-tested; app.ts keeps the status and hands the words out.
import type { EpochReport, TrainingState } from '../worker/protocol';

export type Phase = 'idle' | 'loading' | 'training' | 'paused' | 'done' | 'diverged' | 'error';

export interface RunStatus {
  phase: Phase;
  /** the run's latest epoch report (epoch 0: a loaded model's evaluation) */
  report: EpochReport | null;
  /** the run's planned epochs */
  epochs: number;
  /** batches done in the run */
  batches: number;
  /** what is loading (while loading), or what the last action did (until an epoch ends) */
  note: string;
}

/** The worker's state as a phase: 'ready' (a set loaded, nothing running) is idle. */
export const phaseOf = (state: TrainingState): Phase => (state === 'ready' ? 'idle' : state);

const percent = (fraction: number) => `${(100 * fraction).toFixed(2)}%`;

/** The epoch's numbers, the charts' story in words (the summary is read out): accuracies and the test loss. */
export function describeEpoch(report: EpochReport): string {
  const test = `test accuracy ${percent(report.testAccuracy)}`;
  const loss = Number.isFinite(report.testLoss) ? `, test loss ${Number(report.testLoss.toPrecision(2))}` : '';
  if (report.epoch === 0) return `Loaded model: ${test}${loss}.`;
  return `Epoch ${report.epoch} of ${report.epochs}: ${test}, training accuracy ${percent(report.trainAccuracy)}${loss}.`;
}

/** The summary under the progress bar; it changes with the phase and the epochs only (it is read out). */
export function summaryText({ phase, report, epochs, batches, note }: RunStatus): string {
  const finished = report ? describeEpoch(report) : '';
  const current = `epoch ${Math.min((report?.epoch ?? 0) + 1, Math.max(epochs, 1))} of ${epochs}`;
  switch (phase) {
    case 'idle': return note || finished || 'Not trained yet.';
    case 'loading': return 'Loading the data…';
    case 'training': return `${report?.epoch ? finished : note} Training ${current}…`.trim();
    case 'paused': return `Paused in ${current}.${report?.epoch ? ` ${finished}` : ''}`;
    case 'done': return `Done: ${finished}`;
    case 'diverged': return `Stopped in ${current}: the loss diverged (grew too large to compute). A smaller learning rate may help.`;
    case 'error': return batches || report?.epoch ? `Stopped${finished ? ` after ${finished}` : '.'}` : 'Not trained yet.';
  }
}

/** The line under the progress bar; null while training, when it shows the time left. */
export function progressNote({ phase, batches, note }: RunStatus): string | null {
  switch (phase) {
    case 'training': return null;
    case 'loading': return note;
    case 'paused': return 'Paused';
    case 'done': return 'All epochs done';
    case 'diverged': return 'Stopped: the loss diverged';
    default: return phase === 'error' && batches ? 'Stopped' : '';
  }
}
