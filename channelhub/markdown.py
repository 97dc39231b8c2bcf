"""Upstream markdown -> safe HTML, rendered once at sync time.

Connect templates, activation tiles and conversation messages are markdown written by
vendors, resellers and customers: untrusted text. The mappers render it here when a row is
synced and store the result in a `*_html` column, so the admin never renders markdown in a
list loop and only ever marks *this module's output* as safe.

Two layers: markdown-it-py in CommonMark mode with raw HTML switched off (so `<script>` in
the source is emitted as text), then nh3 (ammonia) as the real sanitiser, so that even a
renderer bug cannot let through scripts, event handlers or `javascript:` URLs.

Images are never loaded when staff open a page: a remote image would tell its host who looked
at what and when (and could be a tracking pixel). Each one becomes a link, "image: <alt>",
that opens the image only when someone clicks it.
"""

import html
import re
from functools import lru_cache

import nh3
from markdown_it import MarkdownIt

# One parser for the process: building it costs far more than rendering a short text.
_md = MarkdownIt("commonmark", {"html": False}).enable("table")

_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5",
    "h6", "hr", "i", "li", "ol", "p", "pre", "s", "strong", "sub", "sup", "table",
    "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
_ATTRIBUTES = {
    "a": {"href", "title"},
    "th": {"align", "style"},
    "td": {"align", "style"},
    "ol": {"start"},
    "code": {"class"},
}
_URL_SCHEMES = {"http", "https", "mailto", "tel"}

_cleaner = nh3.Cleaner(
    tags=_TAGS,
    clean_content_tags={"script", "style"},
    attributes=_ATTRIBUTES,
    url_schemes=_URL_SCHEMES,
    link_rel="noopener noreferrer",
    filter_style_properties={"text-align"},
)


# An <img> as markdown-it and nh3 write it: attributes double-quoted, never a raw " inside.
_IMG = re.compile(r'<img((?:\s+[a-zA-Z-]+="[^"]*")*)\s*/?>')
_ATTR = re.compile(r'([a-zA-Z-]+)="([^"]*)"')


def _image_link(match: re.Match) -> str:
    attrs = {name.lower(): html.unescape(value) for name, value in _ATTR.findall(match.group(1))}
    label = attrs.get("alt") or attrs.get("title")
    src = attrs.get("src", "")
    text = html.escape(f"image: {label}" if label else "image", quote=False)
    if not src:
        return text
    return f'<a href="{html.escape(src)}" title="Open the image (not loaded until you click)">{text}</a>'


def sanitise_html(rendered: str) -> str:
    """Images as links, then nh3: for markdown-it's output and for HTML stored before this rule."""
    return _cleaner.clean(_IMG.sub(_image_link, rendered)).strip()


@lru_cache(maxsize=2048)
def render_markdown(text: str) -> str:
    """Render upstream markdown to sanitised HTML; "" for empty or missing text.

    Cached because a sync sees the same template bodies and tile texts over and over.
    """
    if not text:
        return ""
    return sanitise_html(_md.render(text))
