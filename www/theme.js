// Light and dark themes: follows the system (prefers-color-scheme) until the user picks one.

const KEY = 'pageout-lab-theme';
const MODES = ['auto', 'light', 'dark'];

function stored() {
  try {
    const v = localStorage.getItem(KEY);
    return MODES.includes(v) ? v : 'auto';
  } catch {
    return 'auto';
  }
}

function apply(mode) {
  if (mode === 'auto') delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = mode;
}

/**
 * @param {HTMLButtonElement} button  cycles auto → light → dark
 * @param {() => void} onChange  called after the colours changed (charts redraw)
 */
export function initTheme(button, onChange) {
  let mode = stored();
  apply(mode);
  const label = () => {
    button.textContent = `Theme: ${mode}`;
    // the accessible name starts with the visible text (WCAG 2.5.3)
    button.setAttribute(
      'aria-label',
      mode === 'auto'
        ? 'Theme: auto, following the system. Change to light'
        : `Theme: ${mode}. Change to ${MODES[(MODES.indexOf(mode) + 1) % 3]}`,
    );
  };
  label();
  button.addEventListener('click', () => {
    mode = MODES[(MODES.indexOf(mode) + 1) % MODES.length];
    try {
      localStorage.setItem(KEY, mode);
    } catch {
      // private mode: the choice lasts for this page only
    }
    apply(mode);
    label();
    onChange();
  });
  matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => {
    if (mode === 'auto') onChange();
  });
}
