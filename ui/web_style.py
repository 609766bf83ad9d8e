"""The web app's look: an offline theme and the CSS of the evidence panel (kept in Python so it ships with the
package). Colours come from Gradio's CSS variables, so light and dark mode both work."""

from __future__ import annotations

import gradio as gr

# System fonts only: Gradio's default theme would fetch Google Fonts, and the app must work offline.
THEME = gr.themes.Soft(
    font=["ui-sans-serif", "system-ui", "Segoe UI", "Roboto", "Helvetica Neue", "Arial", "sans-serif"],
    font_mono=["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace"],
)

CSS = """
#nr-header h2 { margin-bottom: 0.2em; }
#nr-status { color: var(--body-text-color-subdued); font-size: var(--text-sm); }
#nr-evidence { overflow-y: auto; }
.nr-evidence { display: flex; flex-direction: column; gap: 10px; }
.nr-evidence.nr-empty { color: var(--body-text-color-subdued); font-style: italic; padding: 8px 2px; }
.nr-cite {
  border: 1px solid var(--block-border-color); border-radius: var(--radius-lg);
  padding: 10px 12px; background: var(--block-background-fill);
}
.nr-cite-head { font-weight: 600; line-height: 1.35; }
.nr-n { color: var(--color-accent); margin-right: 2px; }
.nr-meta { color: var(--body-text-color-subdued); font-size: var(--text-sm); margin: 2px 0 6px; }
.nr-meta a { color: var(--link-text-color); }
.nr-quote {
  white-space: pre-wrap; margin: 0; padding: 4px 0 4px 10px; font-size: var(--text-md);
  border-left: 3px solid var(--color-accent-soft); line-height: 1.5;
}
mark.nr-hl { background: #fde68a; color: #1f2937; padding: 0 1px; border-radius: 2px; }
.nr-context { margin-top: 6px; font-size: var(--text-sm); }
.nr-context summary { cursor: pointer; color: var(--link-text-color); }
.nr-article {
  white-space: pre-wrap; max-height: 320px; overflow-y: auto; margin-top: 6px; padding: 8px;
  border-radius: var(--radius-md); background: var(--background-fill-secondary); line-height: 1.5;
}
.nr-passage { background: var(--color-accent-soft); border-radius: 2px; }
.nr-ref { font-weight: 600; color: var(--color-accent); white-space: nowrap; text-decoration: none; }
a.nr-ref:hover { text-decoration: underline; }
.nr-unsupported { color: var(--error-text-color); }
.nr-cite:target { outline: 2px solid var(--color-accent); }
.nr-notice { color: var(--body-text-color-subdued); }
.nr-error { color: var(--error-text-color); }
.nr-report ul { margin: 0; padding-left: 0; list-style: none; }
.nr-report li { margin: 2px 0; }
"""

# The look of what `ui.web_render` adds to the chat and the evidence panel: the answer's period chip, weak
# claims, timelines, copies (served after CSS).
# `#nr-chat .options` restyles Gradio's own option buttons under the last answer as a small chip (the period's ✕).
RENDER_CSS = """
.nr-period { margin-bottom: 6px; }
.nr-chip {
  display: inline-block; padding: 1px 10px; border-radius: 999px; font-size: var(--text-sm);
  background: var(--color-accent-soft); border: 1px solid var(--border-color-accent);
}
.nr-weak { text-decoration: underline dotted var(--error-text-color); text-underline-offset: 3px; cursor: help; }
.nr-lines { margin: 4px 0; padding-left: 1.3em; }
.nr-lines li { margin: 2px 0; }
.nr-also { color: var(--body-text-color-subdued); font-size: var(--text-sm); margin: -2px 0 6px; }
.nr-also a { color: var(--link-text-color); }
#nr-chat .options {
  display: flex; flex-wrap: wrap; justify-content: flex-start; gap: 6px; margin: 0; max-width: 100%;
  padding: 0 var(--spacing-xxl) var(--spacing-lg);
}
#nr-chat .options .option {
  width: auto; max-width: none; flex-direction: row; padding: 2px 12px; border-radius: 999px;
  border-style: solid; font-size: var(--text-sm);
}
"""
