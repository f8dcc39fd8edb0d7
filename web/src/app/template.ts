// The trainer's markup, shared by the full page (main.ts) and the embeddable element (embed/): one
// definition of every control and view host, whose ids the controller (app.ts) looks up in its root.
// Panels not chosen are rendered hidden, so the controller always finds every element.

export const PANELS = ['data', 'controls', 'progress', 'charts', 'predictions', 'confusion', 'weights', 'draw', 'model'] as const;
export type Panel = (typeof PANELS)[number];

/**
 * `name`, when given, joins each panel's name ("Train, trainer 2"): the panels are landmarks, and two trainers on
 * one page must not offer two landmarks of the same name.
 */
export function trainerMarkup(panels: ReadonlySet<Panel> = new Set(PANELS), { masthead = true, name = '' } = {}): string {
  const template = document.createElement('template');
  template.innerHTML = MARKUP;
  for (const section of template.content.querySelectorAll<HTMLElement>('[data-panel]')) {
    section.hidden = !panels.has(section.dataset.panel as Panel);
    if (name) {
      const heading = template.content.getElementById(section.getAttribute('aria-labelledby') ?? '');
      section.removeAttribute('aria-labelledby');
      section.setAttribute('aria-label', `${heading?.textContent ?? ''}, ${name}`);
    }
  }
  // Embedded in a post, the title and blurb are the writer's to give: keep only the engine line.
  if (!masthead) for (const intro of template.content.querySelectorAll<HTMLElement>('.masthead > h1, .masthead > p:not(.engine)')) intro.remove();
  return template.innerHTML;
}

const MARKUP = /* html */ `
<header class="masthead">
  <h1>scratchnet</h1>
  <p>A neural network written from scratch in C++, compiled to WebAssembly, learning handwritten digits
    (or clothes, or your own images) in a Web Worker while this page stays smooth.</p>
  <p class="engine" id="engine-status" role="status">Loading the engine…</p>
  <div class="worker-failure" id="worker-failure" role="alert" hidden>
    <p id="worker-failure-message"></p>
    <div class="buttons">
      <button type="button" id="worker-retry">Retry</button>
      <button type="button" id="worker-save-model" hidden>Download the trained model</button>
    </div>
  </div>
</header>

<div class="layout">
  <section class="panel" id="controls-panel" data-panel="controls" aria-labelledby="controls-heading">
    <h2 id="controls-heading">Train</h2>
    <form id="settings" novalidate>
      <div class="fields">
        <p id="model-note" class="model-note" hidden></p>
        <label>Hidden layers <input name="hidden" id="hidden" inputmode="numeric" value="2048" aria-describedby="hidden-help hidden-error" />
          <small id="hidden-help">sizes, comma-separated: 2048 or 512,256</small></label>
        <span class="field-error" id="hidden-error" role="alert"></span>
        <label>Output and loss
          <select name="output" id="output">
            <option value="sigmoid-l2">sigmoid + L2 (the original)</option>
            <option value="softmax-xent">softmax + cross-entropy</option>
          </select></label>
        <label>Optimizer
          <select name="optimizer" id="optimizer">
            <option value="sgd">SGD with momentum</option>
            <option value="adam">Adam</option>
            <option value="adamw">AdamW</option>
          </select></label>
        <label>Learning rate <input name="learningRate" id="learningRate" inputmode="decimal" value="1" aria-describedby="learningRate-suggestion learningRate-error" /></label>
        <p class="field-note" id="learningRate-suggestion" aria-live="polite" hidden><span></span>
          <button type="button" id="use-suggested-rate" hidden></button></p>
        <span class="field-error" id="learningRate-error" role="alert"></span>
        <label>Momentum <input name="momentum" id="momentum" inputmode="decimal" value="0.9" aria-describedby="momentum-error" /></label>
        <span class="field-error" id="momentum-error" role="alert"></span>
        <label>Batch size <input name="batchSize" id="batchSize" inputmode="numeric" value="64" aria-describedby="batchSize-error" /></label>
        <span class="field-error" id="batchSize-error" role="alert"></span>
        <label>Epochs <input name="epochs" id="epochs" inputmode="numeric" value="5" aria-describedby="epochs-error" /></label>
        <span class="field-error" id="epochs-error" role="alert"></span>
        <label>Training images <input name="trainLimit" id="trainLimit" inputmode="numeric" value="all" aria-describedby="trainLimit-help trainLimit-error" />
          <small id="trainLimit-help">all, or the first N</small></label>
        <span class="field-error" id="trainLimit-error" role="alert"></span>
      </div>
      <details class="more-settings">
        <summary>More settings: scaling, regularisation, schedule, seed</summary>
        <div class="fields">
            <label>Input scaling
              <select name="scaling" id="scaling" aria-describedby="scaling-help">
                <option value="auto">auto (rms if sparse, else standard)</option>
                <option value="rms">rms (one factor)</option>
                <option value="unit">unit (pixel / 255)</option>
                <option value="standard">standard (per pixel)</option>
              </select>
              <small id="scaling-help">how pixels become inputs</small></label>
            <label>Weight decay <input name="weightDecay" id="weightDecay" inputmode="decimal" value="0" aria-describedby="weightDecay-error" /></label>
            <span class="field-error" id="weightDecay-error" role="alert"></span>
            <label>Dropout <input name="dropout" id="dropout" inputmode="decimal" value="0" aria-describedby="dropout-help dropout-error" />
              <small id="dropout-help">share of hidden units dropped while training</small></label>
            <span class="field-error" id="dropout-error" role="alert"></span>
            <label>Label smoothing <input name="labelSmoothing" id="labelSmoothing" inputmode="decimal" value="0.2" aria-describedby="labelSmoothing-help labelSmoothing-error" />
              <small id="labelSmoothing-help">softer targets: 0.2 aims sigmoid outputs at 0.1 and 0.9</small></label>
            <span class="field-error" id="labelSmoothing-error" role="alert"></span>
            <label>Schedule
              <select name="schedule" id="schedule">
                <option value="constant">constant rate</option>
                <option value="cosine">cosine decay to 0</option>
                <option value="step">steps down</option>
              </select></label>
            <label>Warm-up epochs <input name="warmupEpochs" id="warmupEpochs" inputmode="decimal" value="0" aria-describedby="warmupEpochs-error" /></label>
            <span class="field-error" id="warmupEpochs-error" role="alert"></span>
            <label data-schedule="step">Step every <input name="stepEpochs" id="stepEpochs" inputmode="decimal" value="1" aria-describedby="stepEpochs-help stepEpochs-error" />
              <small id="stepEpochs-help">epochs</small></label>
            <span class="field-error" id="stepEpochs-error" role="alert"></span>
            <label data-schedule="step">Step factor <input name="stepGamma" id="stepGamma" inputmode="decimal" value="0.1" aria-describedby="stepGamma-help stepGamma-error" />
              <small id="stepGamma-help">the rate is multiplied by this at each step</small></label>
            <span class="field-error" id="stepGamma-error" role="alert"></span>
            <label>Seed <input name="seed" id="seed" inputmode="numeric" value="1" aria-describedby="seed-error" /></label>
            <span class="field-error" id="seed-error" role="alert"></span>
        </div>
      </details>
      <div class="buttons">
        <button type="submit" id="start" disabled>Start</button>
        <button type="button" id="pause" disabled>Pause</button>
        <button type="button" id="resume" disabled>Resume</button>
        <button type="button" id="step" disabled>Step</button>
        <button type="button" id="reset" disabled>Reset</button>
      </div>
    </form>
    <div id="run-message" class="message" role="alert"></div>
  </section>

  <div class="layout-main">
    <section class="panel" id="progress-panel" data-panel="progress" aria-labelledby="progress-heading">
      <h2 id="progress-heading">Progress</h2>
      <div id="progress"></div>
      <p id="summary" class="summary" aria-live="polite" aria-atomic="true" tabindex="-1">Not trained yet.</p>
    </section>

    <section class="panel wide" id="charts-panel" data-panel="charts" aria-labelledby="charts-heading">
      <h2 id="charts-heading">Learning curves</h2>
      <div class="charts">
        <figure><div id="loss-chart" class="chart"></div><figcaption id="loss-caption">Training loss per batch</figcaption></figure>
        <figure><div id="accuracy-chart" class="chart"></div><figcaption>Accuracy per epoch</figcaption></figure>
      </div>
    </section>

    <section class="panel wide" id="predictions-panel" data-panel="predictions" aria-labelledby="predictions-heading">
      <h2 id="predictions-heading">Test images and the network's answers</h2>
      <div id="digit-grid"></div>
    </section>

    <section class="panel" id="confusion-panel" data-panel="confusion" aria-labelledby="confusion-heading">
      <h2 id="confusion-heading">Confusion matrix</h2>
      <div id="confusion"></div>
    </section>

    <section class="panel" id="weights-panel" data-panel="weights" aria-labelledby="weights-heading">
      <h2 id="weights-heading">What hidden units look for</h2>
      <div id="weight-tiles"></div>
    </section>
  </div>

  <div class="layout-side">
    <section class="panel" id="data-panel" data-panel="data" aria-labelledby="data-heading">
      <h2 id="data-heading">Data</h2>
      <div class="fields">
        <label>Data set
          <select id="dataset" aria-describedby="data-status">
            <option value="mnist">MNIST (digits)</option>
            <option value="fashion-mnist">Fashion-MNIST (clothes)</option>
            <option value="own">your own files (IDX)</option>
          </select></label>
      </div>
      <div id="data-status" role="status" aria-live="polite">Waiting to download MNIST…</div>
      <progress id="data-progress" max="1" value="0" aria-label="Data download progress"></progress>
      <button type="button" id="data-retry" hidden>Retry the download</button>
      <div id="own-files" class="own-files" hidden>
        <div id="own-files-drop" class="drop-zone">
          <p>Drop the four IDX files of a classification set here: training images and labels, test images and
            labels, gzipped or not, as MNIST's are
            (<code>train-images-idx3-ubyte.gz</code>, <code>t10k-labels-idx1-ubyte</code>…).</p>
          <label class="file-button"><span>Choose files…</span><input type="file" id="own-files-input" multiple /></label>
        </div>
        <ul id="own-files-list" class="own-files-list" aria-label="Your files"></ul>
        <div id="own-files-message" class="message error" role="alert"></div>
        <button type="button" id="own-files-forget" hidden>Forget these files</button>
      </div>
    </section>

    <section class="panel" id="model-panel" data-panel="model" aria-labelledby="model-heading">
      <h2 id="model-heading">Model</h2>
      <div class="buttons">
        <button type="button" id="save-browser" disabled>Save in this browser</button>
        <button type="button" id="load-browser" disabled>Load from this browser</button>
        <button type="button" id="download-model" disabled>Download</button>
        <label class="file-button"><span>Load a file</span><input type="file" id="load-file" accept=".bin,application/octet-stream" disabled /></label>
      </div>
      <div id="model-message" class="message" role="status" aria-live="polite"></div>
    </section>

    <section class="panel" id="draw-panel" data-panel="draw" aria-labelledby="draw-heading">
      <h2 id="draw-heading">Draw a digit</h2>
      <div class="draw">
        <div id="draw-pad-canvas"></div>
        <div id="draw-pad-scores"></div>
      </div>
      <p class="panel-note">There is no keyboard way to draw: the test images show the network's answers.</p>
    </section>
  </div>
</div>
`;
