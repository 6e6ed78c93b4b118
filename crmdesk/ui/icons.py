"""Small icons painted at run time (colour dots, sync markers) and the app icon."""

from __future__ import annotations

from functools import cache
from importlib import resources

from PySide6.QtCore import QByteArray, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPainter, QPen, QPixmap

from crmdesk.domain.sync_status import RecordSync

#: Colour and meaning of each sync marker in the tables and the detail pane.
SYNC_MARKERS: dict[RecordSync, tuple[str, str]] = {
    RecordSync.PENDING: ("#2f80ed", "Changed here, waiting to be sent"),
    RecordSync.NOT_CREATED: ("#2f80ed", "Created here, not on the server yet"),
    RecordSync.CONFLICT: ("#e5484d", "Conflict: changed here and on the server"),
    RecordSync.NEEDS_ATTENTION: ("#f5a524", "The server refused a change"),
    RecordSync.DELETED_ON_SERVER: ("#8b8d98", "Deleted on the server; your changes are kept"),
}


#: Logical size of the table icons; views set their iconSize to it so that painting never
#: rescales a pixmap (rescaling every icon cost a third of a repaint).
ICON_SIZE = 12


def _canvas(size: int) -> QPixmap:
    """A transparent pixmap of ``size`` logical pixels at the screen's pixel ratio."""
    ratio = (
        QGuiApplication.primaryScreen().devicePixelRatio()
        if QGuiApplication.primaryScreen()
        else 1.0
    )
    pixmap = QPixmap(round(size * ratio), round(size * ratio))
    pixmap.setDevicePixelRatio(ratio)
    pixmap.fill(Qt.GlobalColor.transparent)
    return pixmap


@cache
def dot_icon(colour: str, size: int = ICON_SIZE) -> QIcon:
    """A filled circle of ``colour`` (a swatch for status, stage, lead status)."""
    pixmap = _canvas(size)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    fill = QColor(colour)
    painter.setBrush(fill)
    painter.setPen(QPen(fill.darker(125), 1))
    painter.drawEllipse(QRectF(1.5, 1.5, size - 3, size - 3))
    painter.end()
    return _untinted(pixmap)


def _untinted(pixmap: QPixmap) -> QIcon:
    """An icon that looks the same in selected rows (Qt tints the Selected mode)."""
    icon = QIcon(pixmap)
    icon.addPixmap(pixmap, QIcon.Mode.Selected)
    return icon


@cache
def sync_icon(state: RecordSync) -> QIcon | None:
    """The marker of a row's sync state (None for synced rows)."""
    marker = SYNC_MARKERS.get(state)
    if marker is None:
        return None
    size = ICON_SIZE
    pixmap = _canvas(size)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    colour = QColor(marker[0])
    if state in (RecordSync.PENDING, RecordSync.NOT_CREATED):
        # a hollow ring: "not yet sent"
        painter.setPen(QPen(colour, 2))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawEllipse(QRectF(2, 2, size - 4, size - 4))
    else:
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colour)
        painter.drawEllipse(QRectF(1.5, 1.5, size - 3, size - 3))
        painter.setPen(QPen(QColor("white"), 1.6))
        painter.drawLine(QPointF(6, 3.5), QPointF(6, 7))
        painter.drawPoint(QPointF(6, 9))
    painter.end()
    return _untinted(pixmap)


def resource_text(name: str) -> str:
    """A text file from ``crmdesk/ui/resources``."""
    return (resources.files("crmdesk.ui") / "resources" / name).read_text(encoding="utf-8")


@cache
def app_icon() -> QIcon:
    """The application icon: the SVG file, rendered by Qt's SVG icon engine at whatever
    size is asked, when it is asked (rendering every size up front cost 20 ms of start)."""
    path = resources.files("crmdesk.ui") / "resources" / "crmdesk.svg"
    icon = QIcon(str(path))
    if icon.isNull():  # no SVG icon engine (or not a plain file): draw it ourselves
        icon = _rendered_icon(path.read_text(encoding="utf-8"))
    return icon


def _rendered_icon(svg: str) -> QIcon:
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(QByteArray(svg.encode()))
    icon = QIcon()
    for size in (16, 32, 64, 256):
        pixmap = QPixmap(size, size)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter)
        painter.end()
        icon.addPixmap(pixmap)
    return icon
