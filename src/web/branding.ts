/**
 * The page's words and colours, set by whoever runs the show (`relay --title --instructions --accent --logo`):
 * put into the HTML as escaped text (never into a script), and the accent into /brand.css, since the page's
 * content security policy allows no inline style.
 */

export interface Logo {
  readonly body: Buffer;
  /** image/png, image/svg+xml, image/jpeg or image/webp. */
  readonly type: string;
}

export interface PageBranding {
  readonly title: string;
  readonly instructions: string;
  /** A CSS hex colour, #rgb or #rrggbb (checked: it is written into a style sheet). */
  readonly accent: string;
  readonly logo?: Logo;
}

export const DEFAULT_BRANDING: PageBranding = Object.freeze({
  title: 'Join the show',
  instructions: 'Drag the knob to steer; let go to stop.',
  accent: '#4caf50',
});

/** Where the logo is served: one fixed path, whatever the file was called. */
export const LOGO_PATH = '/logo';
export const BRAND_CSS_PATH = '/brand.css';

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text safe inside an element and inside a quoted attribute. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

export const ACCENT_PATTERN = /^#(?:[0-9a-f]{3}|[0-9a-f]{6})$/i;

/**
 * Fills `{{title}}`, `{{instructions}}` and `{{logo}}` in one pass (a title that contains `{{instructions}}` stays
 * text). The logo marker becomes an <img> of LOGO_PATH when there is a logo, nothing otherwise.
 */
export function renderBrandedHtml(html: string, branding: PageBranding): string {
  return html.replace(/\{\{(title|instructions|logo)\}\}/g, (_, key: string) => {
    if (key === 'logo') return branding.logo === undefined ? '' : `<img id="logo" class="logo" src="${LOGO_PATH}" alt="">`;
    return escapeHtml(key === 'title' ? branding.title : branding.instructions);
  });
}

/** The accent as a style sheet; the default page's pad and buttons take their colour from it. */
export function brandCss(branding: PageBranding): string {
  if (!ACCENT_PATTERN.test(branding.accent)) throw new Error(`not a CSS hex colour: ${branding.accent}`);
  return `:root { --accent: ${branding.accent}; }\n`;
}
