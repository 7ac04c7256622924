import { marked } from 'marked'
import DOMPurify from 'dompurify'

// Links in descriptions leave the site in a new tab, without handing it this page.
DOMPurify.addHook('afterSanitizeAttributes', (node) => {
  if (node.tagName === 'A' && node.getAttribute('href')) {
    node.setAttribute('target', '_blank')
    node.setAttribute('rel', 'noopener noreferrer nofollow')
  }
})

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string)

// Raw HTML in a description is shown as the text it is, never parsed as markup.
marked.use({ renderer: { html: ({ text }) => escapeHtml(text) } })

/**
 * Organiser-written Markdown as sanitised HTML: marked renders it with any raw HTML escaped
 * into text, then DOMPurify keeps only safe elements and attributes (no script, no event
 * handler, no javascript: URL, no style, no form). The Content-Security-Policy would block an
 * injected script anyway.
 */
export function renderMarkdown(text: string): string {
  const html = marked.parse(text, { async: false, gfm: true, breaks: false }) as string
  return DOMPurify.sanitize(html, {
    USE_PROFILES: { html: true },
    FORBID_TAGS: ['style', 'form', 'input', 'button', 'textarea', 'select', 'img'],
    FORBID_ATTR: ['style'],
  })
}
