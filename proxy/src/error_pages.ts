/** Proxy-generated error pages: a service's custom `<status>.html` templates, else built-in pages. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { STATUS_CODES } from 'node:http';

export const DEFAULT_UNAVAILABLE_MESSAGE = 'The service is temporarily unavailable. Please try again later.';

const BUILT_IN: Record<number, { title: string; body: string }> = {
  404: { title: 'Not Found', body: 'The page you were looking for doesn’t exist.' },
  413: { title: 'Request Too Large', body: 'The request was larger than the server allows.' },
  502: { title: 'Bad Gateway', body: 'The server could not reach the application.' },
  503: { title: 'Service Unavailable', body: '{{ .Message }}' },
  504: { title: 'Gateway Timeout', body: 'The application took too long to respond.' },
};

export class ErrorPagesLoadError extends Error {
  constructor() {
    super('unable to load error pages');
  }
}

export type ErrorPages = Map<number, string>;

function page(title: string, body: string): string {
  return `<!DOCTYPE html>\n<html>\n<head><meta charset="utf-8"><title>${title}</title></head>\n<body>\n<h1>${title}</h1>\n<p>${body}</p>\n</body>\n</html>\n`;
}

export const builtInPages: ErrorPages = new Map(
  Object.entries(BUILT_IN).map(([status, p]) => [Number(status), page(p.title, p.body)]),
);

const TEMPLATE_ACTION = /\{\{-?\s*(.*?)\s*-?\}\}/g;

/** Loads `<status>.html` files; only `{{ .Message }}` actions are supported (enough for Kamal's pages). */
export function loadErrorPages(dir: string): ErrorPages {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => /^\d{3}\.html$/.test(n));
  } catch {
    throw new ErrorPagesLoadError();
  }
  if (names.length === 0) throw new ErrorPagesLoadError();
  const pages: ErrorPages = new Map();
  for (const name of names) {
    let text: string;
    try {
      text = readFileSync(join(dir, name), 'utf8');
    } catch {
      throw new ErrorPagesLoadError();
    }
    const opens = text.split('{{').length - 1;
    const closes = text.split('}}').length - 1;
    if (opens !== closes) throw new ErrorPagesLoadError();
    for (const m of text.matchAll(TEMPLATE_ACTION)) {
      if (m[1] !== '.Message' && m[1] !== '' && !m[1]!.startsWith('/*')) throw new ErrorPagesLoadError();
    }
    pages.set(Number(name.slice(0, 3)), text);
  }
  return pages;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&#34;', "'": '&#39;' })[c]!);
}

/** Renders the page for `status`: custom, then built-in, then a generic heading. */
export function renderErrorPage(status: number, custom: ErrorPages | null, message = ''): string {
  const template = custom?.get(status) ?? builtInPages.get(status);
  if (template === undefined) return `<h1>${status} ${STATUS_CODES[status] ?? ''}</h1>`;
  const text = message || (status === 503 ? DEFAULT_UNAVAILABLE_MESSAGE : '');
  return template.replace(TEMPLATE_ACTION, (_all, action: string) => (action === '.Message' ? escapeHtml(text) : ''));
}
