// Small DOM helpers shared by the views.

export function element<K extends keyof HTMLElementTagNameMap>(tag: K, className: string, id?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  node.className = className;
  if (id) node.id = id;
  return node;
}

/** Writing the same text again would still cost a layout, so compare first. */
export function setText(node: HTMLElement, text: string): void {
  if (node.textContent !== text) node.textContent = text;
}

export function context2d(canvas: HTMLCanvasElement, options?: CanvasRenderingContext2DSettings): CanvasRenderingContext2D {
  const context = canvas.getContext('2d', options);
  if (!context) throw new Error('This browser cannot draw on a canvas (no 2D context).');
  return context;
}

/**
 * The rgb() colour a CSS colour expression (a var(), light-dark(), any colour) resolves to on `probe`, an element
 * in place: canvas takes only concrete colours, and light-dark() follows the element's own color-scheme (an
 * embed's theme attribute), which matchMedia cannot see. `fallback` when the expression is not a colour there.
 */
export function resolveColor(probe: HTMLElement, expression: string, fallback: string): string {
  probe.style.color = fallback;
  probe.style.color = expression; // an invalid expression leaves the fallback
  return getComputedStyle(probe).color || fallback;
}

/** A file input opens its picker with Enter as well as Space, as a button does (not every browser's does). */
export function openOnEnter(input: HTMLInputElement): void {
  input.addEventListener('keydown', (event) => {
    if (event.key !== 'Enter' || input.disabled) return;
    event.preventDefault();
    input.click();
  });
}
