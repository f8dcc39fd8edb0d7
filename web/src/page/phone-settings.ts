// On a phone the page folds its settings under a one-line summary of them ("Settings: 2048, L2, sgd lr 2…"), so
// the buttons, the progress and the curves are on the first screen; a tap unfolds them. Decided at load: turning
// the phone later leaves the form as it is.
const PHONE = '(max-width: 40rem)';

export function foldSettingsOnPhone(form: HTMLFormElement, label: () => string): { update(): void } {
  const summary = document.createElement('summary');
  const update = () => {
    const text = `Settings: ${label()}`;
    if (summary.textContent !== text) summary.textContent = text;
  };
  if (!matchMedia(PHONE).matches) return { update: () => undefined };
  const fold = Object.assign(document.createElement('details'), { className: 'phone-settings', id: 'phone-settings' });
  fold.append(summary, ...form.querySelectorAll(':scope > .fields, :scope > .more-settings'));
  form.prepend(fold);
  form.addEventListener('input', update);
  form.addEventListener('change', update);
  update();
  return { update };
}
