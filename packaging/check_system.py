"""Check that this machine can run crmdesk's Qt side; say exactly what to install if not.

Run by `make` right after the virtual environment is set up. PySide6 wheels bundle Qt, but
Qt still needs a few system libraries (OpenGL, fontconfig, xkbcommon, ...). A missing one
shows up as an ImportError naming the .so file; we translate that into a package name.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

# shared library -> Debian/Ubuntu package that provides it
DEBIAN_PACKAGES = {
    "libGL.so": "libgl1",
    "libEGL.so": "libegl1",
    "libOpenGL.so": "libopengl0",
    "libfontconfig.so": "libfontconfig1",
    "libfreetype.so": "libfreetype6",
    "libxkbcommon.so": "libxkbcommon0",
    "libxkbcommon-x11.so": "libxkbcommon-x11-0",
    "libdbus-1.so": "libdbus-1-3",
    "libglib-2.0.so": "libglib2.0-0",
    "libgthread-2.0.so": "libglib2.0-0",
    "libX11.so": "libx11-6",
    "libX11-xcb.so": "libx11-xcb1",
    "libxcb.so": "libxcb1",
    "libxcb-cursor.so": "libxcb-cursor0",
    # the X11 (xcb) platform plugin, needed to open a window on a desktop
    "libxcb-icccm.so": "libxcb-icccm4",
    "libxcb-image.so": "libxcb-image0",
    "libxcb-keysyms.so": "libxcb-keysyms1",
    "libxcb-randr.so": "libxcb-randr0",
    "libxcb-render-util.so": "libxcb-render-util0",
    "libxcb-shape.so": "libxcb-shape0",
    "libxcb-xinerama.so": "libxcb-xinerama0",
    "libxcb-xkb.so": "libxcb-xkb1",
    "libICE.so": "libice6",
    "libSM.so": "libsm6",
}

PROBE = """
import os
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
from PySide6.QtWidgets import QApplication, QWidget
app = QApplication([])
w = QWidget()
w.resize(10, 10)
w.show()
app.processEvents()
print("qt-ok")
"""


def missing_for_x11() -> list[str]:
    """Libraries the X11 platform plugin lacks (``ldd``), so that `make demo` on a desktop
    says what to install instead of Qt aborting with "could not load the xcb plugin"."""
    import importlib.util
    import shutil

    spec = importlib.util.find_spec("PySide6")
    if spec is None or not spec.submodule_search_locations or shutil.which("ldd") is None:
        return []
    base = spec.submodule_search_locations[0]
    plugin = os.path.join(base, "Qt", "plugins", "platforms", "libqxcb.so")
    if not os.path.exists(plugin):
        return []
    out = subprocess.run(["ldd", plugin], capture_output=True, text=True, check=False).stdout
    return sorted(
        {m.group(1) for m in re.finditer(r"(lib[\w.+-]+?\.so)(?:\.\d+)*\s+=>\s+not found", out)}
    )


def main() -> int:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    proc = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, env=env, timeout=120
    )
    if proc.returncode == 0 and "qt-ok" in proc.stdout:
        missing = missing_for_x11() if sys.platform.startswith("linux") else []
        if missing:
            packages = sorted({DEBIAN_PACKAGES.get(lib, lib) for lib in missing})
            print(
                "crmdesk: Qt runs, but cannot open windows on an X11 desktop: missing "
                f"{', '.join(missing)}.\nInstall them with: apt-get install -y "
                f"{' '.join(packages)}",
                file=sys.stderr,
            )
        return 0
    text = proc.stderr + proc.stdout
    missing = sorted(set(re.findall(r"(lib[\w.+-]+?\.so)(?:\.\d+)*", text)))
    packages = sorted({DEBIAN_PACKAGES[lib] for lib in missing if lib in DEBIAN_PACKAGES})
    print("crmdesk: Qt (PySide6) cannot start on this machine.", file=sys.stderr)
    if packages:
        print(f"Missing system libraries: {', '.join(missing)}", file=sys.stderr)
        print(f"Install them with: apt-get install -y {' '.join(packages)}", file=sys.stderr)
    else:
        print(text.strip()[-2000:], file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
