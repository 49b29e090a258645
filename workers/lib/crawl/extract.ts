/**
 * Text extraction with cheerio (reference/worker-domain.md §5.3): title, main text with line
 * breaks at block boundaries, links, canonical URL, robots meta and a language hint.
 *
 * Links are collected from the whole page (navigation is how a crawler finds pages) except
 * rel=nofollow ones. The text comes from `main`, `article` or `[role=main]` when the page has one,
 * else `body`, after removing script, style, noscript, template, svg, nav, header, footer, aside,
 * form and iframe. cheerio's `.text()` runs block text together, so a line break is inserted around
 * every block element first (source newlines are only whitespace); then each line's whitespace is collapsed and empty lines dropped.
 */
import * as cheerio from 'cheerio';

export interface Extracted {
  title: string;
  /** Lines of text, `\n`-separated. */
  text: string;
  /** Characters of `text` that are link text (for link density). */
  linkChars: number;
  /** Link targets as written (absolute after resolving against <base href> or the page URL). */
  links: string[];
  canonical?: string;
  /** The declared language's primary subtag (html lang, Content-Language), lowercase, e.g. `en`. */
  lang?: string;
  /** `<meta name=robots>` (or our token's meta) says noindex / nofollow. */
  noindex: boolean;
  nofollow: boolean;
}

const NOISE = 'script, style, noscript, template, svg, nav, header, footer, aside, form, iframe, object, embed, canvas, select, button';
const BLOCKS = 'p, div, section, article, main, h1, h2, h3, h4, h5, h6, li, dt, dd, tr, pre, blockquote, table, ul, ol, dl, figure, figcaption, hr, address';

/** Decode a body: the Content-Type charset, else a `<meta charset>` near the top (HTML), else UTF-8. */
export function decodeBody(body: Buffer, charset: string | undefined, html: boolean): string {
  let label = charset;
  if (!label && html) {
    const head = body.subarray(0, 2048).toString('latin1');
    label = /<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_:.-]+)/i.exec(head)?.[1]?.toLowerCase();
  }
  try {
    return new TextDecoder(label ?? 'utf-8').decode(body);
  } catch {
    return new TextDecoder('utf-8').decode(body);
  }
}

const primaryTag = (v: string | undefined): string | undefined => {
  const tag = v?.split(',')[0]?.trim().split(/[-_]/)[0]?.toLowerCase();
  return tag && /^[a-z]{2,3}$/.test(tag) ? tag : undefined;
};

/** A private-use character marking a line break while the text is gathered. */
const BREAK = '\uE000';

const collapse = (s: string): string => s.replace(/\s+/g, ' ').trim();

export function extractHtml(html: string, pageUrl: string, opts: { robotsToken?: string; contentLanguage?: string | null } = {}): Extracted {
  const $ = cheerio.load(html);

  const baseHref = $('base[href]').first().attr('href');
  let base = pageUrl;
  if (baseHref) {
    try {
      base = new URL(baseHref, pageUrl).href;
    } catch {
      /* a broken <base> is ignored */
    }
  }
  const resolve = (href: string | undefined): string | undefined => {
    if (!href) return undefined;
    try {
      return new URL(href.trim(), base).href;
    } catch {
      return undefined;
    }
  };

  const metas = [$('meta[name="robots" i]'), ...(opts.robotsToken ? [$(`meta[name="${opts.robotsToken.replace(/"/g, '')}" i]`)] : [])];
  const directives = metas.flatMap((m) => m.toArray().map((el) => ($(el).attr('content') ?? '').toLowerCase()));
  const noindex = directives.some((d) => /\b(noindex|none)\b/.test(d));
  const nofollow = directives.some((d) => /\b(nofollow|none)\b/.test(d));

  const links: string[] = [];
  $('a[href], area[href]').each((_, el) => {
    const rel = ($(el).attr('rel') ?? '').toLowerCase().split(/\s+/);
    if (rel.includes('nofollow')) return;
    const u = resolve($(el).attr('href'));
    if (u) links.push(u);
  });

  const title = collapse($('title').first().text()) || collapse($('h1').first().text());
  const canonical = resolve($('link[rel~="canonical" i][href]').first().attr('href'));
  const lang = primaryTag($('html').attr('lang')) ?? primaryTag($('meta[http-equiv="content-language" i]').attr('content')) ?? primaryTag(opts.contentLanguage ?? undefined);

  $(NOISE).remove();
  // cheerio.load always builds html/head/body, so body is there
  const root = [$('main').first(), $('article').first(), $('[role="main"]').first()].find((r) => r.length > 0) ?? $('body').first();
  // source newlines are only whitespace; line breaks are the boundaries marked here
  root.find('br').replaceWith(BREAK);
  root.find(BLOCKS).each((_, el) => {
    $(el).before(BREAK);
    $(el).after(BREAK);
  });
  const text = root
    .text()
    .split(BREAK)
    .map(collapse)
    .filter(Boolean)
    .join('\n');
  let linkChars = 0;
  root.find('a').each((_, el) => {
    linkChars += collapse($(el).text()).length;
  });

  return { title, text, linkChars, links, canonical, lang, noindex, nofollow };
}

/** A text/plain page: its text, the first line as the title, no links. */
export function extractPlain(body: string, contentLanguage?: string | null): Extracted {
  const text = body
    .split(/\r?\n/)
    .map((l) => l.replace(/[ \t\f\v]+/g, ' ').trim())
    .filter(Boolean)
    .join('\n');
  return { title: (text.split('\n')[0] ?? '').slice(0, 200), text, linkChars: 0, links: [], lang: primaryTag(contentLanguage ?? undefined), noindex: false, nofollow: false };
}
