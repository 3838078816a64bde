#!/usr/bin/env python3
"""clang-tidy over Shoal's library, daemon and CLI sources, with the checks of .clang-tidy.

Usage: scripts/lint.py BUILD_DIR [-j N] [FILE...]

BUILD_DIR must hold compile_commands.json (every Shoal build exports it). A clean file is
remembered under ~/.cache/shoal-tidy by the hash of its preprocessed text, the check set and
the clang-tidy version, so a run after a small change lints only what that change can affect
(a header edit re-lints every file that includes it). Exits 1 when any file has a finding.
"""

import argparse
import concurrent.futures
import hashlib
import json
import os
import pathlib
import shlex
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
LINTED_DIRS = ("broker", "client", "common", "dashboard", "proto", "worker")
CACHE = pathlib.Path(os.environ.get("SHOAL_TIDY_CACHE", pathlib.Path.home() / ".cache/shoal-tidy"))


def tidy_binary():
    for name in ("clang-tidy-14", "clang-tidy"):
        if subprocess.run(["sh", "-c", f"command -v {name}"], capture_output=True).returncode == 0:
            return name
    sys.exit("lint: clang-tidy is not installed (scripts/install-deps.sh installs it)")


def tracked_sources():
    out = subprocess.run(["git", "ls-files", "--", *[f"{d}/*.cpp" for d in LINTED_DIRS]],
                         cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return [str(ROOT / line) for line in out.split()]


def preprocess_command(entry):
    """The entry's compile command with -E in place of -c, no output file, no line markers."""
    args = entry.get("arguments") or shlex.split(entry["command"])
    if os.path.basename(args[0]) == "ccache":
        args = args[1:]
    out, skip = [], False
    for arg in args:
        if skip:
            skip = False
            continue
        if arg == "-o":
            skip = True
            continue
        out.append("-E" if arg == "-c" else arg)
    return out + ["-P"]  # no line markers: a clone elsewhere shares the cache


def cache_key(entry, salt):
    preprocessed = subprocess.run(preprocess_command(entry), cwd=entry["directory"],
                                  capture_output=True, check=True).stdout
    return hashlib.sha256(salt + preprocessed).hexdigest()


def lint_one(tidy, build_dir, entry, salt):
    """Returns (file, findings text or None when clean)."""
    path = entry["file"]
    try:
        key = cache_key(entry, salt)
    except subprocess.CalledProcessError:
        key = None  # cannot preprocess: lint it anyway and let clang-tidy say why
    if key and (CACHE / key).exists():
        return path, None
    run = subprocess.run([tidy, "-p", build_dir, "--quiet", path], cwd=ROOT,
                         capture_output=True, text=True)
    if run.returncode == 0:
        if key:
            CACHE.mkdir(parents=True, exist_ok=True)
            (CACHE / key).touch()
        return path, None
    findings = [line for line in run.stdout.splitlines() if line and "warnings generated" not in line]
    return path, "\n".join(findings) or run.stderr


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("build_dir")
    parser.add_argument("-j", type=int, default=os.cpu_count() or 1)
    parser.add_argument("files", nargs="*")
    options = parser.parse_intermixed_args()

    database = pathlib.Path(options.build_dir) / "compile_commands.json"
    if not database.exists():
        sys.exit(f"lint: {database} is missing; configure a build first")
    entries = {e["file"]: e for e in json.loads(database.read_text())}
    wanted = [str(pathlib.Path(f).resolve()) for f in options.files] or tracked_sources()
    missing = [f for f in wanted if f not in entries]
    if missing:
        sys.exit("lint: not in the compile database: " + " ".join(missing))

    tidy = tidy_binary()
    version = subprocess.run([tidy, "--version"], capture_output=True).stdout
    salt = version + (ROOT / ".clang-tidy").read_bytes()
    failed = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=options.j) as pool:
        jobs = [pool.submit(lint_one, tidy, options.build_dir, entries[f], salt) for f in wanted]
        for job in concurrent.futures.as_completed(jobs):
            path, findings = job.result()
            if findings:
                failed += 1
                print(f"--- {os.path.relpath(path, ROOT)}\n{findings}", flush=True)
    print(f"lint: {len(wanted)} files, {failed} with findings")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
