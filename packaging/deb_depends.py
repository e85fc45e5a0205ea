"""The Debian packages a PyInstaller bundle needs from the system, for its control file's Depends.

    python packaging/deb_depends.py build/dist/Hearth      prints "libc6 (>= 2.36), libegl1, ..."

PyInstaller bundles every library it can except the ones that must come from the system (the C
library, OpenGL/EGL, which follow the machine's drivers). Each ELF file in the bundle names the
libraries it needs (DT_NEEDED, read with binutils' readelf); whatever the bundle does not hold
itself is looked up with the dynamic linker's cache and ``dpkg -S``, which names the package that
installed it on this build machine. Libraries that are missing here too belong to optional
plugins (Qt's GTK 3 theme) and are reported, not required. dpkg-shlibdeps does the same for a
source package, but it insists on every bundled library having Debian's symbols files, which a
bundle of wheels cannot have.
"""
from __future__ import annotations

import os
import platform
import re
import subprocess
import sys
from pathlib import Path

ELF_MAGIC = b"\x7fELF"
# Loaded with ctypes or by path, so no DT_NEEDED names them: what Hearth needs at run time all the same.
RUNTIME = {"libpulse0": "PulseAudio's client library (the microphone list, through pulsectl)",
           "fonts-dejavu-core": "a font for Qt when the desktop has none"}


def elf_files(bundle: Path) -> list[Path]:
    found = []
    for path in bundle.rglob("*"):
        if path.is_file() and not path.is_symlink():
            with path.open("rb") as handle:
                if handle.read(4) == ELF_MAGIC:
                    found.append(path)
    return found


def needed(path: Path) -> list[str]:
    output = subprocess.run(["readelf", "-d", str(path)], capture_output=True, text=True).stdout
    return re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", output)


def system_libraries() -> dict[str, str]:
    """soname -> path, from the dynamic linker's cache (this machine's architecture only)."""
    output = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True).stdout
    machine = "x86-64" if platform.machine() == "x86_64" else platform.machine()
    found: dict[str, str] = {}
    for line in output.splitlines():
        match = re.match(r"\s*(\S+) \(([^)]*)\) => (\S+)", line)
        if match and (machine in match.group(2) or "x86-64" not in match.group(2)):
            found.setdefault(match.group(1), match.group(3))
    return found


def owner(path: str) -> str | None:
    """The package that installed ``path``, trying the merged-/usr spellings dpkg may know it by."""
    real = os.path.realpath(path)
    candidates = {path, real}
    for name in list(candidates):
        if name.startswith("/usr/"):
            candidates.add(name[4:])
        else:
            candidates.add("/usr" + name)
    for candidate in candidates:
        result = subprocess.run(["dpkg", "-S", candidate], capture_output=True, text=True)
        if result.returncode == 0:
            return result.stdout.split(":")[0].strip()
    return None


def glibc_version() -> str:
    return platform.libc_ver()[1] or "2.31"


def depends(bundle: Path) -> tuple[list[str], list[str]]:
    files = elf_files(bundle)
    inside = {path.name for path in files} | {path.name for path in bundle.rglob("*.so*")}
    wanted = sorted({name for path in files for name in needed(path)} - inside)
    system = system_libraries()
    packages: set[str] = set(RUNTIME)
    missing = []
    for soname in wanted:
        location = system.get(soname)
        package = owner(location) if location else None
        if package is None:
            missing.append(soname)
        else:
            packages.add(package)
    versioned = [f"{name} (>= {glibc_version()})" if name == "libc6" else name for name in sorted(packages)]
    return versioned, missing


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    packages, missing = depends(Path(sys.argv[1]))
    for soname in missing:
        print(f"deb_depends: {soname} is not on this machine (an optional plugin's); not a dependency",
              file=sys.stderr)
    print(", ".join(packages))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
