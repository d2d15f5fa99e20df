"""A strict little tree over html.parser, for asserting the structure of generated HTML.

Stricter than browsers on purpose: every non-void element must be closed, in order, so that markup
broken by unescaped text shows up as a parse error here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


@dataclass
class Element:
    tag: str
    attrs: dict[str, str | None]
    children: list[Element | str] = field(default_factory=list)

    @property
    def classes(self) -> set[str]:
        return set((self.attrs.get("class") or "").split())

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def iter(self):
        yield self
        for c in self.children:
            if isinstance(c, Element):
                yield from c.iter()

    def find_all(self, tag: str, *, cls: str | None = None, **attrs: str) -> list[Element]:
        return [el for el in self.iter() if el.tag == tag and (cls is None or cls in el.classes)
                and all(el.attrs.get(k.replace("_", "-")) == v for k, v in attrs.items())]

    def find(self, tag: str, **kwargs) -> Element:
        found = self.find_all(tag, **kwargs)
        assert found, f"no <{tag}> {kwargs}"
        return found[0]


class _Builder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs):
        el = Element(tag, dict(attrs))
        self.stack[-1].children.append(el)
        if tag not in VOID:
            self.stack.append(el)

    def handle_startendtag(self, tag, attrs):
        self.stack[-1].children.append(Element(tag, dict(attrs)))

    def handle_endtag(self, tag):
        assert tag not in VOID, f"end tag for void element <{tag}>"
        open_tag = self.stack[-1].tag
        assert open_tag == tag, f"</{tag}> closes <{open_tag}> (line {self.getpos()[0]})"
        self.stack.pop()

    def handle_data(self, data):
        self.stack[-1].children.append(data)


def parse(markup: str) -> Element:
    builder = _Builder()
    builder.feed(markup)
    builder.close()
    assert len(builder.stack) == 1, f"unclosed: {[el.tag for el in builder.stack[1:]]}"
    return builder.root


def external_references(root: Element) -> list[str]:
    """Every src, href, action or srcset that points outside the page (anything but #anchor)."""
    return [f"<{el.tag} {name}={value}>" for el in root.iter() for name, value in el.attrs.items()
            if name in ("src", "href", "action", "srcset", "formaction") and not (value or "").startswith("#")] + \
        [f"<{el.tag}>" for el in root.iter() if el.tag in ("link", "iframe", "object", "embed", "img")]
