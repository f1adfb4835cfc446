"""Build the Lambda deployment package with `chalice package` (triage's hot modules compiled first
by mypyc: infra/native.py), then add compiled bytecode.

Chalice ships sources only, so every cold start compiles the app and its dependencies on a
read-only /var/task (2.0-2.6x slower imports, measured in bench/). We compile with
unchecked-hash invalidation: the .pyc files are trusted without stat-ing their sources."""

from __future__ import annotations

import argparse
import compileall
import json
import os
import py_compile
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from chalicelib.i18n import LANGUAGES
from infra import catalogues, native

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN_PREFIXES = ("tests/", "infra/", "bench/", ".chalice/", ".local/")
_CHALICE_CLI = "import sys; from chalice.cli import main; sys.argv[0] = 'chalice'; sys.exit(main())"


class WrongPython(RuntimeError):
    """The package would be built for another Python than the functions run."""


def chalice_package(stage: str, out: Path) -> Path:
    # chalice names the runtime after the Python that packages, and picks dependency wheels for it.
    wrong = native.running_python_problem()
    if wrong:
        raise WrongPython(wrong)
    native.build()  # chalice copies chalicelib as it finds it: the extensions must be current
    catalogues.compile_all()  # and the message catalogues compiled from their .po files
    if out.exists():
        shutil.rmtree(out)
    # chalice wants a region even to package; the package itself does not depend on it.
    env = {**os.environ, "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "us-east-1")}
    argv = [sys.executable, "-c", _CHALICE_CLI, "package", "--stage", stage, str(out)]
    subprocess.run(argv, cwd=ROOT, env=env, check=True)
    return out / "deployment.zip"


def add_bytecode(zip_path: Path) -> int:
    """Compile every module in the zip in place; returns the number of .pyc files added."""
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp)
        with zipfile.ZipFile(zip_path) as archive:
            archive.extractall(tree)
        before = set(tree.rglob("*.pyc"))
        compileall.compile_dir(
            tree, quiet=1, workers=2, invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH
        )
        added = len(set(tree.rglob("*.pyc")) - before)
        rebuilt = zip_path.with_suffix(".tmp")
        with zipfile.ZipFile(rebuilt, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
            for path in sorted(tree.rglob("*")):
                if path.is_file():
                    info = zipfile.ZipInfo(str(path.relative_to(tree)), date_time=(2020, 1, 1, 0, 0, 0))
                    info.external_attr = 0o644 << 16
                    info.compress_type = zipfile.ZIP_DEFLATED
                    archive.writestr(info, path.read_bytes())
        rebuilt.replace(zip_path)
    return added


def runtimes(sam_path: Path) -> dict[str, str]:
    """Each function's runtime and architecture in chalice's template ("python3.13/x86_64")."""
    resources = json.loads(sam_path.read_text())["Resources"]
    return {
        name: f"{r['Properties'].get('Runtime', '')}/{','.join(r['Properties'].get('Architectures', ['x86_64']))}"
        for name, r in resources.items()
        if r["Type"] == "AWS::Serverless::Function"
    }


def check_package(zip_path: Path) -> list[str]:
    """What is wrong with a package: test or infra files inside, app modules without bytecode,
    triage's compiled modules missing or not loadable on Lambda, a function on another runtime."""
    names = zipfile.ZipFile(zip_path).namelist()
    problems = [f"{n} should not be deployed" for n in names if n.startswith(FORBIDDEN_PREFIXES)]
    problems += native.check(zip_path)
    sam = zip_path.parent / "sam.json"
    wanted = f"{native.RUNTIME.name}/{native.RUNTIME.architecture}"
    if sam.exists():
        problems += [f"{name} runs {have}, not {wanted}" for name, have in runtimes(sam).items() if have != wanted]
    problems += [
        f"{path} is missing: the language cannot be shown"
        for language in LANGUAGES[1:]
        for path in (
            f"chalicelib/locale/{language}/LC_MESSAGES/messages.mo",
            f"chalicelib/locale/{language}/LC_MESSAGES/wall.json",
        )
        if path not in names
    ]
    tag = sys.implementation.cache_tag
    for name in names:
        if name.endswith(".py") and (name == "app.py" or name.startswith("chalicelib/")):
            folder, _, module = name.rpartition("/")
            pyc = f"{folder + '/' if folder else ''}__pycache__/{module[:-3]}.{tag}.pyc"
            if pyc not in names:
                problems.append(f"{name} has no compiled bytecode")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.package")
    parser.add_argument("--stage", default="dev")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "package")
    args = parser.parse_args(argv)
    try:
        zip_path = chalice_package(args.stage, args.out)
    except WrongPython as exc:
        print(f"package: {exc}", file=sys.stderr)
        return 1
    added = add_bytecode(zip_path)
    problems = check_package(zip_path)
    for problem in problems:
        print(f"package: {problem}", file=sys.stderr)
    print(f"{zip_path}: {added} .pyc files added, {zip_path.stat().st_size / 1e6:.1f} MB")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
