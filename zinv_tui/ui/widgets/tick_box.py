"""TickBox: the app's checkbox, its state in text (``[x]`` on, ``[ ]`` off).

Textual's ``Checkbox`` draws ``▐X▌`` either way and tells on from off by the X's colour only,
which ``NO_COLOR``, a monochrome terminal or a colour-blind eye cannot see. Every checkbox in the
app is a TickBox.
"""

from __future__ import annotations

from textual.content import Content
from textual.style import Style
from textual.widgets import Checkbox

ON_MARK = "[x]"
OFF_MARK = "[ ]"


class TickBox(Checkbox):
    """A checkbox that shows ``[x]`` when on and ``[ ]`` when off (colour only adds to it)."""

    @property
    def _button(self) -> Content:
        colour = self.get_visual_style("toggle--button").foreground
        mark = ON_MARK if self.value else OFF_MARK
        return Content.assemble(
            mark[0], (mark[1], Style(foreground=colour, bold=self.value)), mark[2]
        )
