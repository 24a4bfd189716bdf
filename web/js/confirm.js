// Confirmation before anything that ends, closes, removes or moves everyone: a native modal
// <dialog> (focus stays inside it; Escape cancels; focus returns to the button that asked).
// The safe answer has the focus first.
import { h } from './dom.js';
import { t } from './i18n.js';
import { icon } from './icons.js';

// o: { title, text, yes } (already translated). Resolves true when confirmed.
export function ask(o) {
  const opener = document.activeElement;
  return new Promise((resolve) => {
    const no = h('button', { type: 'button', 'data-answer': 'no', text: o.no || t('confirm.no') });
    const yes = h('button', { type: 'button', class: 'danger', 'data-answer': 'yes', text: o.yes || t('confirm.yes') });
    const title = h('h2', { id: 'confirm-title' }, icon('warning'), h('span', { text: o.title }));
    const dlg = h('dialog', { class: 'confirm', 'aria-labelledby': 'confirm-title', 'aria-describedby': o.text ? 'confirm-text' : null },
      title, o.text ? h('p', { id: 'confirm-text', text: o.text }) : null, h('div', { class: 'actions' }, no, yes));
    let answer = false;
    no.addEventListener('click', () => dlg.close());
    yes.addEventListener('click', () => { answer = true; dlg.close(); });
    dlg.addEventListener('close', () => {
      dlg.remove();
      if (opener && opener.isConnected) opener.focus();
      resolve(answer);
    });
    document.body.append(dlg);
    dlg.showModal();
    no.focus();
  });
}

// A .danger button that asks `o` before it runs `act`.
export function dangerButton(label, o, act, attrs = {}) {
  return h('button', { type: 'button', class: 'danger', ...attrs, text: label,
    onclick: async () => { if (await ask(o)) act(); } });
}
