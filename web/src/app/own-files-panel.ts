// The part of the data panel that takes the reader's own IDX files: a file picker and a drop zone, the four
// roles with the file each has, what is wrong, and a way to forget the files kept in this browser.
import { ROLE_TITLES, IDX_ROLES } from '../data/idx-files';
import type { OwnFilesStatus } from '../worker/protocol';
import { openOnEnter } from '../ui/dom';

export interface OwnFilesHandlers {
  onFiles: (files: File[]) => void;
  onForget: () => void;
}

export class OwnFilesPanel {
  readonly #root: HTMLElement;
  readonly #list: HTMLElement;
  readonly #message: HTMLElement;
  readonly #forget: HTMLButtonElement;
  readonly #input: HTMLInputElement;

  constructor(find: <T extends HTMLElement>(id: string) => T, handlers: OwnFilesHandlers) {
    this.#root = find('own-files');
    this.#list = find('own-files-list');
    this.#message = find('own-files-message');
    this.#forget = find<HTMLButtonElement>('own-files-forget');
    this.#input = find<HTMLInputElement>('own-files-input');
    const drop = find('own-files-drop');
    openOnEnter(this.#input);

    this.#input.addEventListener('change', () => {
      const files = [...(this.#input.files ?? [])];
      this.#input.value = ''; // the same file picked again after a fix is a new change
      if (files.length) handlers.onFiles(files);
    });
    drop.addEventListener('dragover', (event) => {
      event.preventDefault(); // allows the drop
      drop.classList.add('drop-zone--over');
    });
    drop.addEventListener('dragleave', () => drop.classList.remove('drop-zone--over'));
    drop.addEventListener('drop', (event) => {
      event.preventDefault(); // the browser would open the file instead
      drop.classList.remove('drop-zone--over');
      const files = [...(event.dataTransfer?.files ?? [])];
      if (files.length) handlers.onFiles(files);
    });
    this.#forget.addEventListener('click', () => handlers.onForget());
    this.show(null);
  }

  set visible(visible: boolean) {
    this.#root.hidden = !visible;
  }

  set busy(busy: boolean) {
    this.#input.disabled = busy;
    this.#forget.disabled = busy;
  }

  /** The four roles and their files, and the problems (none: the status is cleared). */
  show(status: OwnFilesStatus | null, problems: string[] = status?.problems ?? []): void {
    this.#list.replaceChildren(...IDX_ROLES.map((role) => {
      const item = document.createElement('li');
      const name = status?.files[role];
      item.dataset.role = role;
      item.classList.toggle('own-files-missing', !name);
      item.textContent = `${ROLE_TITLES[role]}: ${name ?? 'not chosen yet'}`;
      return item;
    }));
    this.#message.textContent = problems.join('\n');
    this.#forget.hidden = !status || (Object.keys(status.files).length === 0 && !status.savedAt);
  }
}
