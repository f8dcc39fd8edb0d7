// What the page keeps of each run, from the training events: every batch's loss and every epoch's numbers, with the
// settings it ran with. The metrics CSV is written from it, and the earlier runs are drawn as faint overlays.
import type { EpochReport, TrainingEvent } from '../worker/protocol';

export interface RunRecord {
  /** 1 for the page's first run, and so on */
  id: number;
  /** the settings, in a few words, for legends */
  label: string;
  batchesPerEpoch: number;
  /** the loss of batch i + 1 (NaN where it was not a number) */
  losses: number[];
  /** one per finished epoch, in order; without the confusion matrix */
  epochs: Omit<EpochReport, 'confusion'>[];
}

/** Earlier runs kept for the overlays: more would be a tangle. */
export const KEPT_RUNS = 5;

export class RunRecorder {
  /** the runs kept, oldest first; the last is the current one */
  readonly runs: RunRecord[] = [];
  #nextId = 1;

  /** `label` describes the settings of a run that starts with this event; true when one does. */
  onEvent(event: TrainingEvent, label: () => string): boolean {
    let started = false;
    if (event.type === 'batches') {
      const first = event.batchesDone - event.losses.length + 1;
      let run = this.current;
      if (!run || first <= run.losses.length) { // a run's first report
        run = { id: this.#nextId++, label: label(), batchesPerEpoch: event.batchesPerEpoch, losses: [], epochs: [] };
        this.runs.push(run);
        if (this.runs.length > KEPT_RUNS + 1) this.runs.shift();
        started = true;
      }
      run.batchesPerEpoch = event.batchesPerEpoch;
      for (const loss of event.losses) run.losses.push(Number.isFinite(loss) ? loss : NaN);
    } else if (event.type === 'epoch' && event.report.epoch > 0 && this.current) {
      const { confusion: _, ...report } = event.report;
      const epochs = this.current.epochs;
      if (epochs.at(-1)?.epoch === report.epoch) epochs[epochs.length - 1] = report;
      else epochs.push(report);
    }
    return started;
  }

  get current(): RunRecord | undefined {
    return this.runs.at(-1);
  }

  /** The earlier runs, oldest first. */
  get earlier(): RunRecord[] {
    return this.runs.slice(0, -1);
  }

  /** Forgets the earlier runs (Clear), keeping the current one. */
  clearEarlier(): void {
    this.runs.splice(0, this.runs.length - 1);
  }
}

const number = (value: number | undefined) => (value === undefined || !Number.isFinite(value) ? '' : String(value));

/**
 * The runs as CSV: a row per batch (kind "batch": its loss) and a row per epoch (kind "epoch": the epoch's mean
 * training loss and accuracy, and the test set's), each with its run's id and settings.
 */
export function metricsCsv(runs: readonly RunRecord[]): string {
  const rows = ['run,settings,kind,epoch,batch,loss,train_loss,train_accuracy,test_loss,test_accuracy'];
  for (const run of runs) {
    const settings = `"${run.label.replaceAll('"', '""')}"`;
    const perEpoch = Math.max(1, run.batchesPerEpoch);
    run.losses.forEach((loss, i) => rows.push(`${run.id},${settings},batch,${Math.ceil((i + 1) / perEpoch)},${i + 1},${number(loss)},,,,`));
    for (const e of run.epochs) {
      rows.push(`${run.id},${settings},epoch,${e.epoch},${Math.min(e.epoch * perEpoch, run.losses.length)},,` +
        `${number(e.trainLoss)},${number(e.trainAccuracy)},${number(e.testLoss)},${number(e.testAccuracy)}`);
    }
  }
  return `${rows.join('\n')}\n`;
}
