"""Triage's per-mention pipeline compiled to C by mypyc, as black and mypy ship themselves.

The same typed modules run as plain Python when they are not built (a fresh checkout); built,
the extension modules sit beside their sources in chalicelib/triage and Python imports them
first. `make` builds them before every target that runs the app (test, bench, eval, run) and
`infra/package.py` before every package, so what is measured, tested and deployed is one code.
A record of the sources they were built from (build/native.json) tells a stale build apart:
an extension older than its source would run yesterday's rules.

The package runs on Lambda's python3.11 x86_64 (Amazon Linux 2, glibc 2.26): `check` refuses an
extension for another Python or machine, or needing a newer glibc than manylinux2014's 2.17."""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "chalicelib/triage"
# The modules a mention passes through. Not vader.py (it keeps VADER's class, built inside a
# function, which mypyc cannot compile; its rules are valence.py's), not spikes.py (once a minute),
# not the package's __init__ (compiled, importing its own package's modules recurses).
MODULES = (
    "afinn",
    "complaint",
    "goemotions",
    "identity",
    "language",
    "pipeline",
    "problems",
    "sentiment",
    "severity",
    "taxonomy",
    "tokens",
    "valence",
)
RECORD = "build/native.json"
GLIBC_AT_MOST = (2, 17)  # manylinux2014: older than Lambda's Amazon Linux 2 (2.26)
_BUILD = """
import sys
from mypyc.build import mypycify
from setuptools import setup

temp, *paths = sys.argv[1:]
sys.argv = [sys.argv[0], "--quiet", "build_ext", "--inplace", "--build-temp", temp, "--build-lib", temp]
setup(
    name="sharedwatch-native",
    packages=[],
    py_modules=[],
    # separate: each module's runtime library beside it ("<module>__mypyc"); one shared library
    # would have to sit at the top of sys.path, outside chalicelib, which Chalice does not deploy.
    ext_modules=mypycify(paths, opt_level="3", separate=True, target_dir=temp),
)
"""


def sources(root: Path = ROOT) -> list[Path]:
    return [root / PACKAGE / f"{module}.py" for module in MODULES]


def extensions(root: Path = ROOT) -> list[Path]:
    return sorted((root / PACKAGE).glob("*.so"))


def _suffix() -> str:
    return str(sysconfig.get_config_var("EXT_SUFFIX"))


def _digests(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sources(root)}


def _how() -> str:
    return hashlib.sha256(_BUILD.encode()).hexdigest()


def stale(root: Path = ROOT) -> list[str]:
    """Why the built extensions are not the sources' (empty when there are none, or they are)."""
    if not extensions(root):
        return []
    recorded_at = root / RECORD
    if not recorded_at.exists():
        return [f"{PACKAGE} holds extensions without {RECORD}"]
    recorded = json.loads(recorded_at.read_text())
    why = [
        f"{name} changed since it was compiled"
        for name, digest in _digests(root).items()
        if recorded["sources"].get(name) != digest
    ]
    if recorded.get("build") != _how():
        why.append("built another way (infra/native.py changed)")
    if recorded["python"] != _suffix():
        why.append(f"compiled for {recorded['python']}, running {_suffix()}")
    return why


def stale_notice(root: Path = ROOT) -> str:
    """What to tell someone about to test or measure a stale build ("" when it is not)."""
    why = stale(root)
    return f"triage's compiled modules are stale ({'; '.join(why)}): run `make native`" if why else ""


def built(root: Path = ROOT) -> bool:
    """Whether the compiled modules are present and match their sources."""
    return bool(extensions(root)) and not stale(root)


def remove(root: Path = ROOT) -> None:
    for path in extensions(root):
        path.unlink()
    (root / RECORD).unlink(missing_ok=True)


def compiler() -> str | None:
    """The C compiler Python was built with, if this machine has it."""
    return shutil.which(str(sysconfig.get_config_var("CC") or "cc").split()[0])


def build(root: Path = ROOT, *, force: bool = False) -> list[Path]:
    """Compile the modules in place (nothing to do when the build is current); returns the extensions."""
    if not force and built(root):
        return extensions(root)
    if compiler() is None:
        raise RuntimeError("no C compiler: triage's modules cannot be compiled (apt-get install gcc)")
    remove(root)
    with tempfile.TemporaryDirectory() as temp:
        paths = [str(path.relative_to(root)) for path in sources(root)]
        quiet = {**os.environ, "PYTHONWARNINGS": "ignore::FutureWarning"}  # wheel's note to setuptools
        subprocess.run([sys.executable, "-c", _BUILD, temp, *paths], cwd=root, env=quiet, check=True)
    (root / RECORD).parent.mkdir(parents=True, exist_ok=True)
    record = {"python": _suffix(), "build": _how(), "sources": _digests(root)}
    (root / RECORD).write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")
    return extensions(root)


def glibc_needed(path: Path) -> tuple[int, ...]:
    """The newest glibc symbol version an extension needs, from its dynamic symbol table."""
    objdump = shutil.which("objdump")  # binutils: installed with the C compiler the build needs
    if objdump is None:
        raise RuntimeError("objdump (binutils) is needed to check what an extension needs of glibc")
    listing = subprocess.run([objdump, "-T", str(path)], capture_output=True, text=True, check=True).stdout
    versions = [tuple(int(n) for n in v.split(".")) for v in re.findall(r"GLIBC_([0-9.]+[0-9])", listing)]
    return max(versions, default=())


def check(zip_path: Path) -> list[str]:
    """What is wrong with a package's compiled modules: one missing, or one that Lambda's
    python3.11 on x86_64 could not load."""
    suffix = ".cpython-311-x86_64-linux-gnu.so"
    with zipfile.ZipFile(zip_path) as archive:
        names = set(archive.namelist())
        wanted = [f"{PACKAGE}/{module}{part}{suffix}" for module in MODULES for part in ("", "__mypyc")]
        problems = [f"{name} is missing (Lambda runs python3.11 on x86_64)" for name in wanted if name not in names]
        with tempfile.TemporaryDirectory() as temp:
            for name in sorted(n for n in names if n.endswith(".so") and n.startswith("chalicelib/")):
                needed = glibc_needed(Path(archive.extract(name, temp)))
                if needed > GLIBC_AT_MOST:
                    problems.append(f"{name} needs glibc {'.'.join(map(str, needed))} (manylinux2014: 2.17)")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.native", description=__doc__.split("\n")[0])
    parser.add_argument("--force", action="store_true", help="compile even when the build is current")
    parser.add_argument("--remove", action="store_true", help="remove the extensions: run as plain Python")
    args = parser.parse_args(argv)
    if args.remove:
        remove()
        print("native: removed; triage runs as plain Python")
        return 0
    if compiler() is None and not built():
        remove()  # never a stale build: plain Python, slower, the same rules
        print("native: no C compiler here, so triage runs as plain Python (about 1.4x slower)", file=sys.stderr)
        return 0
    done = build(force=args.force)
    (ROOT / RECORD).touch()  # make's target: current now
    print(f"native: {len(done)} extension modules current in {PACKAGE} ({platform.machine()}, {_suffix()})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
