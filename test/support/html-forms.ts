/** One `<form>` of a page, enough to submit it the way a browser would. */
export interface HtmlForm {
  id: string | undefined;
  method: 'GET' | 'POST';
  /** Absolute, resolved against the page's URL. */
  action: string;
  /** Every named `<input>` with its value (hidden fields included), in document order. */
  fields: Array<[name: string, value: string]>;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", '#39': "'" };

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (all, name: string) => {
    if (name.startsWith('#x') || name.startsWith('#X')) return String.fromCodePoint(parseInt(name.slice(2), 16));
    if (name.startsWith('#')) return ENTITIES[name] ?? String.fromCodePoint(Number(name.slice(1)));
    return ENTITIES[name.toLowerCase()] ?? all;
  });
}

function attributes(tag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of tag.matchAll(/([a-zA-Z_:][-a-zA-Z0-9_:.]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?/g)) {
    out[m[1]!.toLowerCase()] = decodeEntities(m[2] ?? m[3] ?? m[4] ?? '');
  }
  return out;
}

/**
 * The forms of an HTML page. A small regex reader, not a parser: it is for the dev IdP's
 * and oidc-provider's own pages, which are simple and well formed.
 */
export function parseForms(html: string, pageUrl: string): HtmlForm[] {
  const forms: HtmlForm[] = [];
  for (const m of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)) {
    const attrs = attributes(m[1]!);
    const fields: Array<[string, string]> = [];
    for (const input of m[2]!.matchAll(/<input\b([^>]*?)\/?>/gi)) {
      const a = attributes(input[1]!);
      if (a.name !== undefined) fields.push([a.name, a.value ?? '']);
    }
    forms.push({
      id: attrs.id,
      method: (attrs.method ?? 'get').toUpperCase() === 'POST' ? 'POST' : 'GET',
      action: new URL(attrs.action || pageUrl, pageUrl).href,
      fields,
    });
  }
  return forms;
}
