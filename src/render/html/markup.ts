/**
 * HTML built from template literals that escape every interpolated value unless it is already `Html`:
 * the one way the report makes markup, so data can never become markup.
 */

export class Html {
  constructor(readonly text: string) {}
}
export type Part = Html | string | number | boolean | null | undefined | readonly Part[];

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
const escapeText = (text: string) => text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);

function flatten(part: Part): string {
  if (part instanceof Html) return part.text;
  if (Array.isArray(part)) return part.map(flatten).join('');
  if (part === null || part === undefined || part === false || part === true) return '';
  return escapeText(String(part));
}

/** Template tag: interpolated values are escaped unless they are already `Html`. */
export function html(strings: TemplateStringsArray, ...values: Part[]): Html {
  let out = strings[0]!;
  values.forEach((value, i) => {
    out += flatten(value) + strings[i + 1]!;
  });
  return new Html(out);
}
