/** Tiny DOM helpers: element builders, a modal dialog and toasts. */

type Child = Node | string | number | null | undefined | false | Child[];
type Attrs = Record<string, string | number | boolean | null | undefined | EventListener>;

function append(el: Element, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : String(c));
  }
}

function setAttrs(el: Element, attrs: Attrs): void {
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
}

/** `h('a', {href: '/x', class: 'c'}, 'text', child)` */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

export function s<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG_NS, tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

export function clear(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}

/** Show a toast for a few seconds (errors stay until clicked). */
export function toast(message: string, kind: 'info' | 'error' = 'info'): void {
  let box = document.getElementById('toasts');
  if (!box) {
    box = h('div', { id: 'toasts', role: 'status', 'aria-live': 'polite' });
    document.body.append(box);
  }
  const t = h('div', { class: `toast ${kind}` }, message);
  t.addEventListener('click', () => t.remove());
  box.append(t);
  setTimeout(() => t.remove(), kind === 'error' ? 12_000 : 4000);
}

export interface ModalField {
  name: string;
  label: string;
  type?: 'text' | 'password' | 'checkbox' | 'textarea';
  value?: string;
  checked?: boolean;
  required?: boolean;
}

/**
 * A modal form; resolves with the field values, or null when cancelled.
 * `check` may reject the values with a message shown in the dialog.
 */
export function modal(o: {
  title: string;
  text?: string;
  fields?: ModalField[];
  ok: string;
  danger?: boolean;
  cancellable?: boolean;
  check?: (v: Record<string, string | boolean>) => Promise<string | null> | string | null;
}): Promise<Record<string, string | boolean> | null> {
  return new Promise((resolve) => {
    const inputs: Record<string, HTMLInputElement | HTMLTextAreaElement> = {};
    const error = h('p', { class: 'form-error', role: 'alert' });
    const rows = (o.fields ?? []).map((f) => {
      const id = `modal-${f.name}`;
      if (f.type === 'checkbox') {
        const input = h('input', { id, name: f.name, type: 'checkbox', checked: f.checked });
        inputs[f.name] = input;
        return h('label', { class: 'check', for: id }, input, ' ', f.label);
      }
      const input =
        f.type === 'textarea'
          ? h('textarea', { id, name: f.name, rows: 6 }, f.value ?? '')
          : h('input', { id, name: f.name, type: f.type ?? 'text', value: f.value ?? '', required: f.required, autocomplete: 'off' });
      inputs[f.name] = input;
      return h('div', { class: 'field' }, h('label', { for: id }, f.label), input);
    });
    const values = () => {
      const v: Record<string, string | boolean> = {};
      for (const [k, el] of Object.entries(inputs)) v[k] = el instanceof HTMLInputElement && el.type === 'checkbox' ? el.checked : el.value;
      return v;
    };
    const close = (v: Record<string, string | boolean> | null) => {
      backdrop.remove();
      document.removeEventListener('keydown', onKey);
      resolve(v);
    };
    const okButton = h('button', { type: 'submit', class: o.danger ? 'danger' : 'primary' }, o.ok);
    const form = h(
      'form',
      { class: 'modal', role: 'dialog', 'aria-modal': 'true', 'aria-label': o.title },
      h('h2', {}, o.title),
      o.text ? h('p', {}, o.text) : null,
      rows,
      error,
      h('div', { class: 'buttons' }, o.cancellable === false ? null : h('button', { type: 'button', class: 'cancel', onclick: () => close(null) }, 'Cancel'), okButton),
    );
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const v = values();
      okButton.disabled = true;
      try {
        const problem = o.check ? await o.check(v) : null;
        if (problem) {
          error.textContent = problem;
          return;
        }
        close(v);
      } finally {
        okButton.disabled = false;
      }
    });
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape' && o.cancellable !== false) close(null);
    };
    document.addEventListener('keydown', onKey);
    const backdrop = h('div', { class: 'backdrop' }, form);
    document.body.append(backdrop);
    (Object.values(inputs)[0] ?? okButton).focus();
  });
}
