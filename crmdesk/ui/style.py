"""The look: Fusion style, a light or dark palette that follows the system, and one
stylesheet whose colour tokens are computed from that palette."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

from crmdesk.ui.icons import resource_text

ACCENT = QColor("#2563eb")
ACCENT_DARK = QColor("#60a5fa")  # the accent as text/lines on a dark background


def system_prefers_dark() -> bool:
    """True when the desktop asks for a dark colour scheme (Qt 6.5+ knows)."""
    hints = QGuiApplication.styleHints()
    scheme = getattr(hints, "colorScheme", None)
    return scheme is not None and scheme() == Qt.ColorScheme.Dark


def dark_palette() -> QPalette:
    """A calm dark palette for Fusion."""
    p = QPalette()
    window, base, text = QColor("#1f2125"), QColor("#17181b"), QColor("#e6e7ea")
    p.setColor(QPalette.ColorRole.Window, window)
    p.setColor(QPalette.ColorRole.WindowText, text)
    p.setColor(QPalette.ColorRole.Base, base)
    p.setColor(QPalette.ColorRole.AlternateBase, QColor("#1c1d21"))
    p.setColor(QPalette.ColorRole.Text, text)
    p.setColor(QPalette.ColorRole.Button, QColor("#2a2c31"))
    p.setColor(QPalette.ColorRole.ButtonText, text)
    p.setColor(QPalette.ColorRole.ToolTipBase, QColor("#2a2c31"))
    p.setColor(QPalette.ColorRole.ToolTipText, text)
    p.setColor(QPalette.ColorRole.Highlight, ACCENT)
    p.setColor(QPalette.ColorRole.HighlightedText, QColor("#ffffff"))
    p.setColor(QPalette.ColorRole.Link, ACCENT_DARK)
    p.setColor(QPalette.ColorRole.PlaceholderText, QColor("#8b8e96"))
    p.setColor(QPalette.ColorRole.Mid, QColor("#3a3d44"))
    p.setColor(QPalette.ColorRole.Midlight, QColor("#2f3237"))
    p.setColor(QPalette.ColorRole.Dark, QColor("#101113"))
    for role in (
        QPalette.ColorRole.Text,
        QPalette.ColorRole.WindowText,
        QPalette.ColorRole.ButtonText,
    ):
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor("#6b6e76"))
    return p


def light_palette() -> QPalette:
    """Fusion's light palette with our accent."""
    p = QPalette()
    p.setColor(QPalette.ColorRole.Window, QColor("#f5f6f8"))
    p.setColor(QPalette.ColorRole.WindowText, QColor("#1d1f23"))
    p.setColor(QPalette.ColorRole.Base, QColor("#ffffff"))
    p.setColor(QPalette.ColorRole.AlternateBase, QColor("#f8f9fb"))
    p.setColor(QPalette.ColorRole.Text, QColor("#1d1f23"))
    p.setColor(QPalette.ColorRole.Button, QColor("#f5f6f8"))
    p.setColor(QPalette.ColorRole.ButtonText, QColor("#1d1f23"))
    p.setColor(QPalette.ColorRole.Highlight, ACCENT)
    p.setColor(QPalette.ColorRole.HighlightedText, QColor("#ffffff"))
    p.setColor(QPalette.ColorRole.Link, ACCENT)
    p.setColor(QPalette.ColorRole.PlaceholderText, QColor("#868b94"))
    # setColor(role) sets every group: without this a disabled button reads as enabled
    for role in (
        QPalette.ColorRole.Text,
        QPalette.ColorRole.WindowText,
        QPalette.ColorRole.ButtonText,
    ):
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor("#a3a7ae"))
    return p


def _mix(a: QColor, b: QColor, t: float) -> str:
    """``a`` moved ``t`` of the way to ``b``, as #rrggbb."""
    return QColor(
        round(a.red() + (b.red() - a.red()) * t),
        round(a.green() + (b.green() - a.green()) * t),
        round(a.blue() + (b.blue() - a.blue()) * t),
    ).name()


def tokens(palette: QPalette, dark: bool) -> dict[str, str]:
    """The stylesheet's colour tokens for a palette."""
    base = palette.color(QPalette.ColorRole.Base)
    window = palette.color(QPalette.ColorRole.Window)
    text = palette.color(QPalette.ColorRole.Text)
    accent = ACCENT
    return {
        "window": window.name(),
        "base": base.name(),
        "text": text.name(),
        "panel": _mix(window, text, 0.03 if dark else 0.0),
        "border": _mix(base, text, 0.16 if dark else 0.13),
        "hairline": _mix(base, text, 0.08 if dark else 0.06),
        "hover": _mix(base, text, 0.10 if dark else 0.06),
        "alternate": _mix(base, text, 0.025 if dark else 0.018),
        "muted": _mix(text, base, 0.42),
        "accent": accent.name(),
        "accent_text": (ACCENT_DARK if dark else accent).name(),
        "accent_soft": _mix(base, accent, 0.22 if dark else 0.12),
        "selection": _mix(base, accent, 0.22 if dark else 0.12),
        "selection_active": _mix(base, accent, 0.34 if dark else 0.2),
    }


def is_dark(palette: QPalette) -> bool:
    """True for a dark palette."""
    return palette.color(QPalette.ColorRole.Base).lightness() < 128


def table_palette(palette: QPalette) -> QPalette:
    """The big tables' colours: soft accent selection, faint alternate rows."""
    values = tokens(palette, is_dark(palette))
    table = QPalette(palette)
    text = QColor(values["text"])
    for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive):
        key = "selection_active" if group == QPalette.ColorGroup.Active else "selection"
        table.setColor(group, QPalette.ColorRole.Highlight, QColor(values[key]))
        table.setColor(group, QPalette.ColorRole.HighlightedText, text)
    table.setColor(QPalette.ColorRole.AlternateBase, QColor(values["alternate"]))
    return table


def stylesheet(palette: QPalette, dark: bool) -> str:
    """The stylesheet with its tokens filled in."""
    values = tokens(palette, dark)
    # images the sheet refers to (url(@resources/...)) sit next to it in the package
    values["resources"] = Path(str(resources.files("crmdesk.ui") / "resources")).as_posix()
    return re.sub(
        r"@([a-z_]+)", lambda m: values.get(m.group(1), m.group(0)), resource_text("style.qss")
    )


def apply_style(app: QApplication, theme: str = "auto") -> bool:
    """Style ``app``; ``theme`` is "auto", "light" or "dark". Returns True for dark."""
    dark = system_prefers_dark() if theme == "auto" else theme == "dark"
    app.setStyle("Fusion")
    palette = dark_palette() if dark else light_palette()
    app.setPalette(palette)
    app.setStyleSheet(stylesheet(palette, dark))
    return dark
