// The embeddable trainer: <script type="module" src=".../scratchnet-embed.js"></script> defines
// <scratchnet-trainer>, a whole trainer in its own Shadow DOM (the post's CSS and ours stay apart) with its own
// worker. Every file it needs (chunks, worker, wasm, the data sets) is found relative to this script, so they can live
// on another path or origin.
import styles from '../styles.css?inline';
import { App } from '../app/app';
import { trainerMarkup } from '../app/template';
import { LightPlot } from '../ui/light-plot';
import { readAttributes } from './attributes';

const SCRIPT_URL = import.meta.url;

export class ScratchnetTrainer extends HTMLElement {
  #app: App | null = null;
  #visibility: IntersectionObserver | null = null;

  connectedCallback(): void {
    if (this.#app) return;
    const config = readAttributes(this, SCRIPT_URL);
    const root = this.shadowRoot ?? this.attachShadow({ mode: 'open' });
    if (config.theme !== 'auto') this.setAttribute('theme', config.theme);
    // A name for its panels (landmarks), so that two trainers on a page can be told apart: the label attribute,
    // else its place on the page.
    const name = this.getAttribute('label') || `trainer ${[...document.querySelectorAll('scratchnet-trainer')].indexOf(this) + 1}`;
    root.innerHTML = `<style>${styles}</style><div class="trainer${config.compact ? ' compact' : ''}">${trainerMarkup(config.panels, { masthead: false, name })}</div>`;
    this.#app = new App({
      root, stateTarget: this, settings: config.settings, dataset: config.dataset, dataBase: config.dataBase, dataUrl: config.dataUrl,
      engine: config.engine, autostart: config.autostart, dataOnDemand: true, plotter: { Plot: LightPlot },
    });
    // Off screen, the trainer stops drawing; unless keep-training is set, it pauses until it is back.
    this.#visibility = new IntersectionObserver((entries) => {
      for (const entry of entries) this.#app?.setOnScreen(entry.isIntersecting, !config.keepTraining);
    });
    this.#visibility.observe(this);
    void this.#app.run();
  }

  disconnectedCallback(): void {
    this.#visibility?.disconnect();
    this.#app?.dispose();
    this.#app = null;
  }
}

if (!customElements.get('scratchnet-trainer')) customElements.define('scratchnet-trainer', ScratchnetTrainer);

declare global {
  interface HTMLElementTagNameMap {
    'scratchnet-trainer': ScratchnetTrainer;
  }
}
