"""Triage's per-mention pipeline compiled to C by mypyc, as black and mypy ship themselves.

The same typed modules run as plain Python when they are not built (a fresh checkout); built,
the extension modules sit beside their sources in chalicelib/triage and Python imports them
first. `make` builds them before every target that runs the app (test, bench, eval, run) and
`infra/package.py` before every package, so what is measured, tested and deployed is one code.
A record of the sources they were built from (build/native.json) tells a stale build apart:
an extension older than its source would run yesterday's rules.

The package runs on Lambda's python3.13 on x86_64 (Amazon Linux 2023, glibc 2.34): `check` refuses
an extension for another Python or machine, or one needing a newer glibc than the runtime has.
x86_64, not arm64 (Graviton, cheaper per GB-second): the extensions are compiled on the machine
that packages, and that is an x86_64 machine here; arm64 needs them compiled on an arm64 machine
(docs/deploying.md)."""

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
from dataclasses import dataclass
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


@dataclass(frozen=True)
class LambdaRuntime:
    """What the functions run on, and so what the compiled modules must load on."""

    name: str  # Lambda's runtime identifier
    python: tuple[int, int]
    architecture: str  # Lambda's name for it
    machine: str  # the extension's platform tag and ELF machine
    glibc: tuple[int, int]  # the runtime's C library: no extension may need a newer symbol
    system: str

    @property
    def suffix(self) -> str:
        return f".cpython-{self.python[0]}{self.python[1]}-{self.machine}-linux-gnu.so"


# Amazon Linux 2023 ships glibc 2.34 (python3.12 and later); python3.11 ran on Amazon Linux 2 (2.26).
RUNTIME = LambdaRuntime(
    name="python3.13",
    python=(3, 13),
    architecture="x86_64",
    machine="x86_64",
    glibc=(2, 34),
    system="Amazon Linux 2023",
)
_ELF_MACHINES = {0x3E: "x86_64", 0xB7: "aarch64"}  # e_machine, from the System V ABI
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


def elf_machine(head: bytes) -> str:
    """The machine an ELF shared object is for, from its header (e_machine, little-endian)."""
    if head[:4] != b"\x7fELF" or len(head) < 20:
        return "not ELF"
    code = int.from_bytes(head[18:20], "little")
    return _ELF_MACHINES.get(code, f"machine {code:#x}")


def running_python_problem(runtime: LambdaRuntime = RUNTIME) -> str:
    """Why this interpreter cannot build the package ("" when it can): the compiled modules and
    the dependencies chalice picks are for the Python that packages."""
    have = sys.version_info[:2]
    if have == runtime.python:
        return ""
    want = ".".join(map(str, runtime.python))
    return (
        f"this is Python {have[0]}.{have[1]}; the functions run on Lambda's {runtime.name}, so the package is built "
        f"with Python {want} (`make` finds python{want} on PATH or under ~/.pyenv; README: Python {want})"
    )


def check(zip_path: Path, runtime: LambdaRuntime = RUNTIME) -> list[str]:
    """What is wrong with a package's compiled modules: one missing, for another Python or
    machine, or needing a newer glibc than the runtime's system has."""
    where = f"Lambda runs {runtime.name} on {runtime.architecture}"
    with zipfile.ZipFile(zip_path) as archive:
        names = set(archive.namelist())
        wanted = [f"{PACKAGE}/{module}{part}{runtime.suffix}" for module in MODULES for part in ("", "__mypyc")]
        problems = [f"{name} is missing ({where})" for name in wanted if name not in names]
        with tempfile.TemporaryDirectory() as temp:
            for name in sorted(n for n in names if n.endswith(".so") and n.startswith("chalicelib/")):
                if not name.endswith(runtime.suffix):
                    problems.append(f"{name} is not for {runtime.name} on {runtime.architecture} ({where})")
                    continue
                path = Path(archive.extract(name, temp))
                machine = elf_machine(path.read_bytes()[:20])
                if machine != runtime.machine:
                    problems.append(f"{name} is built for {machine} ({where})")
                    continue  # this machine's objdump may not read another's symbols
                needed = glibc_needed(path)
                if needed > runtime.glibc:
                    have = ".".join(map(str, runtime.glibc))
                    problems.append(f"{name} needs glibc {'.'.join(map(str, needed))} ({runtime.system} has {have})")
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
