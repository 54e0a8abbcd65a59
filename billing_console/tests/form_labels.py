"""An axe-style check of one HTML page, with the standard library's parser: no element id is
used twice, every label's `for` names a control on the page, and every control a person fills
in (input other than hidden/submit/button/reset/image, select, textarea) has exactly one label:
one <label for=its id>, or one <label> wrapped around it, or else an aria-label or an
aria-labelledby naming elements of the page. A repeated id makes a label (and a click on it)
land on another row's input; an unlabelled control is read out as "edit text", nothing more."""

from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser

UNLABELLED_TYPES = {"hidden", "submit", "button", "reset", "image"}
# Elements a <label for> may name (HTML "labelable elements").
LABELABLE = {"input", "select", "textarea", "button", "meter", "output", "progress"}


@dataclass
class _Control:
    tag: str
    id: str
    name: str
    wrapped: bool  # inside a <label> without `for` (one with `for` labels what it names)
    aria: bool  # aria-label text or aria-labelledby
    labelledby: list[str] = field(default_factory=list)

    def describe(self) -> str:
        return f"<{self.tag} name={self.name!r} id={self.id!r}>"


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: Counter[str] = Counter()
        self.labelable_ids: set[str] = set()
        self.label_for: Counter[str] = Counter()
        self.controls: list[_Control] = []
        self.open_label: str | None = None  # the `for` of the open <label> ("" without one)
        self.in_template = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "template":  # inert until cloned: not part of the page
            self.in_template += 1
        if self.in_template:
            return
        attr = {key: value or "" for key, value in attrs}
        if element_id := attr.get("id"):
            self.ids[element_id] += 1
        if tag == "label":
            self.open_label = attr.get("for", "")
            if self.open_label:
                self.label_for[self.open_label] += 1
            return
        if tag not in LABELABLE:
            return
        if tag == "input" and attr.get("type", "text").lower() in UNLABELLED_TYPES:
            return
        if attr.get("id"):
            self.labelable_ids.add(attr["id"])
        if tag not in ("input", "select", "textarea"):
            return
        self.controls.append(
            _Control(
                tag=tag,
                id=attr.get("id", ""),
                name=attr.get("name", ""),
                wrapped=self.open_label == "",
                aria=bool(attr.get("aria-label", "").strip() or attr.get("aria-labelledby")),
                labelledby=attr.get("aria-labelledby", "").split(),
            )
        )

    def handle_endtag(self, tag: str) -> None:
        if tag == "template" and self.in_template:
            self.in_template -= 1
        elif tag == "label" and not self.in_template:
            self.open_label = None


def label_problems(html: str) -> list[str]:
    """What a screen reader user would trip over on this page; [] when nothing."""
    parser = _Parser()
    parser.feed(html)
    parser.close()
    problems = [f"id {key!r} used {n} times" for key, n in parser.ids.items() if n > 1]
    problems += [
        f"<label for={key!r}> names no control"
        for key in parser.label_for
        if key not in parser.labelable_ids
    ]
    for control in parser.controls:
        labels = (parser.label_for[control.id] if control.id else 0) + control.wrapped
        missing = [key for key in control.labelledby if key not in parser.ids]
        if labels > 1:
            problems.append(f"{control.describe()} has {labels} labels")
        elif labels == 0 and not control.aria:
            problems.append(f"{control.describe()} has no label")
        if missing:
            problems.append(f"{control.describe()} aria-labelledby names no element: {missing}")
    return problems
