"""The step bar of the binding wizard (1 取得驗證碼 › 2 確認學生資訊 › …), so a parent always sees
where they are. The flow gives the steps and this one's number. Its colours are theme variables,
read when it is drawn, so F3 recolours it (issue 18)."""

from __future__ import annotations

from textual.content import Content
from textual.reactive import reactive
from textual.widgets import Static

from screens.widgets.typed import OnQinzi


class StepBar(OnQinzi, Static):
    DEFAULT_CSS = """
    StepBar { height: 1; width: 100%; content-align: center middle; background: $panel; }
    """

    step: reactive[int] = reactive(1)

    def __init__(self, step: int, labels: tuple[str, ...]) -> None:
        """`labels`: the catalog keys of the steps' names, in order; `step` counts from 1."""
        super().__init__("")
        self.labels = labels
        self.set_reactive(StepBar.step, step)

    def on_mount(self) -> None:
        self.watch(self.app, "lang", lambda _: self.refresh_bar())

    def watch_step(self) -> None:
        self.refresh_bar()

    def on_resize(self) -> None:
        self.refresh_bar()

    def refresh_bar(self) -> None:
        """Narrow, or laid out for a big font (issue 18): only the current step is named."""
        text = self.bar(compact=self.app.has_class("-large-text"))
        if self.size.width and text.cell_length > self.size.width:
            text = self.bar(compact=True)
        self.update(text)

    def bar(self, *, compact: bool) -> Content:
        parts: list[str | tuple[str, str]] = []
        for n, key in enumerate(self.labels, start=1):
            if n > 1:
                parts.append((" › ", "$text-muted"))
            named = n == self.step or not compact
            label = f"{n} {self.app.tr(key)}" if named else str(n)
            if n == self.step:
                parts.append((f" {label} ", "bold reverse"))
            elif n < self.step:
                parts.append((f"✓{label}", "$text-muted"))
            else:
                parts.append(label)
        return Content.assemble(*parts)
