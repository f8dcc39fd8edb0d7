// The page's downloads: the metrics of its runs as CSV, each chart as a PNG, and the model as ONNX (through the
// worker, as the model file goes). Page only: the embed neither shows nor loads them.
import type { Trainer } from '../app/trainer-client';
import { metricsCsv, type RunRecorder } from './run-record';

export function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  Object.assign(document.createElement('a'), { href: url, download: name }).click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

const button = (id: string, text: string) => Object.assign(document.createElement('button'), { type: 'button', id, textContent: text });

/**
 * A chart as a PNG: its canvas (axes and curves) on the panel's background, with its caption above, so the file
 * reads on its own.
 */
export function chartPng(figure: HTMLElement): Promise<Blob> {
  const chart = figure.querySelector<HTMLCanvasElement>('.uplot canvas')!;
  const style = getComputedStyle(figure.closest('.panel') ?? figure);
  const title = figure.querySelector('figcaption')?.textContent ?? '';
  const ratio = chart.width / Math.max(1, chart.clientWidth);
  const top = Math.round(28 * ratio);
  const canvas = Object.assign(document.createElement('canvas'), { width: chart.width, height: chart.height + top });
  const context = canvas.getContext('2d')!;
  context.fillStyle = style.backgroundColor || '#fff';
  context.fillRect(0, 0, canvas.width, canvas.height);
  context.fillStyle = style.color;
  context.font = `600 ${Math.round(14 * ratio)}px system-ui, sans-serif`;
  context.fillText(title, Math.round(8 * ratio), Math.round(19 * ratio));
  context.drawImage(chart, 0, top);
  return new Promise((resolve, reject) => canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error('the chart could not be drawn'))), 'image/png'));
}

/** The CSV and PNG buttons under the curves; enabled once a run has a batch. */
export function addChartExports(panel: HTMLElement, record: RunRecorder): { update(): void } {
  const row = Object.assign(document.createElement('div'), { className: 'buttons chart-exports' });
  const csv = button('export-csv', 'Metrics (CSV)');
  const [lossFigure, accuracyFigure] = panel.querySelectorAll<HTMLElement>('figure');
  const lossPng = button('export-loss-png', 'Loss chart (PNG)');
  const accuracyPng = button('export-accuracy-png', 'Accuracy chart (PNG)');
  row.append(csv, lossPng, accuracyPng);
  panel.append(row);
  csv.addEventListener('click', () => saveBlob(new Blob([metricsCsv(record.runs)], { type: 'text/csv' }), 'scratchnet-metrics.csv'));
  lossPng.addEventListener('click', () => void chartPng(lossFigure).then((blob) => saveBlob(blob, 'scratchnet-loss.png')));
  accuracyPng.addEventListener('click', () => void chartPng(accuracyFigure).then((blob) => saveBlob(blob, 'scratchnet-accuracy.png')));
  const update = () => {
    const empty = !record.current?.losses.length;
    for (const b of [csv, lossPng, accuracyPng]) b.disabled = empty;
  };
  update();
  return { update };
}

/**
 * "Export ONNX" beside the model's Download, enabled when it is (a model and a worker to ask); the file is what
 * `npm run export` writes.
 */
export function addOnnxExport(download: HTMLButtonElement, trainer: () => Trainer, say: (text: string, error?: boolean) => void): void {
  const onnx = button('export-onnx', 'Export ONNX');
  onnx.disabled = download.disabled;
  download.after(onnx);
  new MutationObserver(() => { onnx.disabled = download.disabled; }).observe(download, { attributes: true, attributeFilter: ['disabled'] });
  onnx.addEventListener('click', () => {
    say('Exporting the model as ONNX…');
    trainer().exportOnnx().then((bytes) => {
      saveBlob(new Blob([bytes as BlobPart], { type: 'application/octet-stream' }), 'scratchnet-model.onnx');
      say(`Downloaded scratchnet-model.onnx (${(bytes.length / 1e6).toFixed(1)} MB).`);
    }, (error: unknown) => say(`The ONNX export failed: ${error instanceof Error ? error.message : String(error)}`, true));
  });
}
