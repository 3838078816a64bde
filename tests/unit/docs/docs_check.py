#!/usr/bin/env python3
"""The docs name everything the binaries accept (issue 13, item 7).

Every verb (subcommand) of `shoal`, every option of `shoal` (global and per verb),
`shoal-broker` and `shoal-worker`, every `shoal inspect` target, every config-file key and
every environment variable the daemons read must appear in the docs: README.md,
broker/README.md, client/README.md, worker/README.md and any deploy/**/*.md.

The lists come from the built binaries, never from the docs or from a copy kept here:

- verbs, options and inspect targets: the CLI11 `--help` output of `shoal`, of
  `shoal VERB --help` for each verb it lists, of `shoal-broker` and of `shoal-worker`;
- config keys and environment variables: `shoal-broker --help` prints, for each option, the
  loader's own table entry (broker/src/config_loader.cpp, `settings`) as
  "[env SHOAL_X, toml x]", and `--config` as "[env SHOAL_CONFIG]"; CLI11 prints an option's
  environment variable as "(Env:SHOAL_X)" (shoal-worker's --queues). shoal-worker reads no
  config file, so it has no keys (if its --help ever names "toml KEY", that key is checked too).

What counts as documented (any of the doc files; a whole-word match, so `--queue` is not
found inside `--queues`):

- a long option `--x`: the text `--x`;
- a short alias `-x`: on a line that also names its long option (`--broker, -b URL`);
- a verb V: a line with `shoal V`, global options allowed between (`shoal --json result ID`);
- an inspect target T: `inspect T`, or T in a list `inspect a|b|T`;
- a config key k: in code form, `` `k` ``, or a TOML line `k = ...`;
- an environment variable: its name.

Usage (ctest passes the paths, tests/CMakeLists.txt):
    docs_check.py --root REPO --shoal PATH --shoal-broker PATH --shoal-worker PATH
Exit 0 when everything is documented, 1 naming each missing item and the files searched,
2 when a binary cannot be run or its --help cannot be read.
"""

import argparse
import glob
import os
import re
import subprocess
import sys

# Where each binary is documented: its own README, the top README (the tour) and deploy docs.
HOME_DOCS = {
    "shoal": ["README.md", "client/README.md"],
    "shoal-broker": ["README.md", "broker/README.md"],
    "shoal-worker": ["README.md", "worker/README.md"],
}
DOC_GLOBS = ["deploy/**/*.md"]


class HelpError(Exception):
    pass


def run_help(argv):
    """The --help text of argv (without --help); HelpError if it does not print one."""
    command = list(argv) + ["--help"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHOAL_")}
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=30, env=env)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise HelpError(f"cannot run {' '.join(command)}: {e}") from e
    if done.returncode != 0 or "Usage:" not in done.stdout:
        raise HelpError(f"{' '.join(command)} exited {done.returncode} without a CLI11 help text; "
                        f"stdout: {done.stdout[:300]!r} stderr: {done.stderr[:300]!r}")
    return done.stdout


def sections(help_text):
    """CLI11 help as {section title: [entry lines]}: 'Options', 'Positionals', 'Subcommands'.
    An entry starts with two spaces and a non-space; a description wrapped onto a line of its
    own (more indentation) belongs to the entry above."""
    out = {}
    current = None
    for line in help_text.splitlines():
        header = re.fullmatch(r"([A-Z][A-Za-z ]*):\s*", line)
        if header:
            current = header.group(1)
            out[current] = []
        elif current is not None and re.match(r"  \S", line):
            out[current].append(line)
        elif current is not None and re.match(r"\s{3,}\S", line) and out[current]:
            out[current][-1] += " " + line.strip()
        elif not line.strip():
            current = None
    return out


def parse_help(help_text):
    """What one --help offers: options as [(long, [short aliases])], subcommands, positional
    choice sets as {name: [choices]}, and the whole text (for env and toml names)."""
    parts = sections(help_text)
    options = []
    for entry in parts.get("Options", []):
        # The names are the entry's first column: "  -b,--broker TEXT=... description".
        names = entry.split()[0].split(",")
        longs = [n for n in names if n.startswith("--")]
        shorts = [n for n in names if re.fullmatch(r"-[A-Za-z0-9]", n)]
        for long in longs:
            options.append((long, shorts))
        if not longs:
            for short in shorts:
                options.append((short, []))
    subcommands = [entry.split()[0] for entry in parts.get("Subcommands", [])]
    choices = {}
    for entry in parts.get("Positionals", []):
        # "  what TEXT:{workers,queues,...} REQUIRED   description": the set is in the type.
        member = re.match(r"\s*(\S+)\s+\S*:\{([^}]*)\}", entry)
        if member:
            choices[member.group(1)] = [c.strip() for c in member.group(2).split(",") if c.strip()]
    return {"options": options, "subcommands": subcommands, "choices": choices, "text": help_text}


def env_names(help_text):
    return sorted(set(re.findall(r"\benv\s+(SHOAL_[A-Z0-9_]+)", help_text)) |
                  set(re.findall(r"\(Env:(SHOAL_[A-Z0-9_]+)\)", help_text)))


def toml_keys(help_text):
    return sorted(set(re.findall(r"\btoml\s+([a-z][a-z0-9_]*)", help_text)))


def word(token):
    return r"(?<![\w-])" + re.escape(token) + r"(?![\w-])"


class Docs:
    """The text of some doc files, searched as one."""

    def __init__(self, root, files):
        self.files = [f for f in files if os.path.isfile(os.path.join(root, f))]
        self.lines = []
        for rel in self.files:
            with open(os.path.join(root, rel), encoding="utf-8") as f:
                self.lines.extend(f.read().splitlines())
        self.text = "\n".join(self.lines)

    def has(self, pattern):
        return re.search(pattern, self.text) is not None

    def has_line(self, *patterns):
        return any(all(re.search(p, line) for p in patterns) for line in self.lines)

    def where(self):
        return ", ".join(self.files) or "(no doc file found)"


def docs_for(root):
    """{binary: Docs} per HOME_DOCS, each with the deploy docs too."""
    extra = []
    for pattern in DOC_GLOBS:
        extra += [os.path.relpath(p, root) for p in sorted(glob.glob(os.path.join(root, pattern), recursive=True))]
    return {binary: Docs(root, files + extra) for binary, files in HOME_DOCS.items()}


def check(docs, shoal, broker, worker):
    """The things the binaries accept that their docs do not name (one line each, saying
    where it came from and which files were searched), and how many things were checked."""
    missing = []
    checked = 0

    def need(binary, found, what):
        nonlocal checked
        checked += 1
        if not found:
            missing.append(f"{what}; searched {docs[binary].where()}")

    def option(binary, source, long, shorts):
        d = docs[binary]
        need(binary, d.has(word(long)), f"{source.split(' --help')[0]}: option {long} (from `{source}`)")
        for short in shorts:
            need(binary, d.has_line(word(long), word(short)),
                 f"{source.split(' --help')[0]}: option {short}, the short form of {long} (from `{source}`), "
                 f"on no line that also names {long}")

    top = parse_help(run_help([shoal]))
    if not top["subcommands"]:
        raise HelpError("`shoal --help` lists no subcommands: cannot read its verbs")
    global_options = [long for long, _ in top["options"]]
    global_pattern = r"(?:\s+-[-\w]+(?:[ =][^\s|`]+)?)*"
    for long, shorts in top["options"]:
        option("shoal", "shoal --help", long, shorts)
    texts = {"shoal": [top["text"]]}
    for verb in top["subcommands"]:
        need("shoal", docs["shoal"].has(r"(?<![\w:/.-])shoal" + global_pattern + r"\s+" + re.escape(verb) + r"(?![\w-])"),
             f"shoal: verb '{verb}' (from `shoal --help`): no `shoal {verb} ...`")
        sub = parse_help(run_help([shoal, verb]))
        texts["shoal"].append(sub["text"])
        for long, shorts in sub["options"]:
            if long in global_options:  # --help, and the globals if CLI11 ever lists them again
                continue
            option("shoal", f"shoal {verb} --help", long, shorts)
        for name, values in sub["choices"].items():
            for value in values:
                need("shoal", docs["shoal"].has(r"\b" + re.escape(verb) + r"\s+(?:[\w-]+\|)*" + re.escape(value) + r"(?![\w-])"),
                     f"shoal {verb}: {name} '{value}' (from `shoal {verb} --help`): "
                     f"no `{verb} {value}` nor `{verb} ...|{value}`")

    keys = 0
    for binary, path in (("shoal-broker", broker), ("shoal-worker", worker)):
        parsed = parse_help(run_help([path]))
        if len(parsed["options"]) < 2:
            raise HelpError(f"`{binary} --help` lists {len(parsed['options'])} option(s): cannot read it")
        texts[binary] = [parsed["text"]]
        for long, shorts in parsed["options"]:
            option(binary, f"{binary} --help", long, shorts)
        for key in toml_keys(parsed["text"]):
            keys += 1
            d = docs[binary]
            need(binary, d.has(r"`" + re.escape(key) + r"`") or d.has(r"(?m)^\s*" + re.escape(key) + r"\s*="),
                 f"{binary}: config key '{key}' (from `{binary} --help`, \"toml {key}\"): "
                 f"not in code form (`{key}` or `{key} = ...`)")
    if keys == 0:
        raise HelpError("`shoal-broker --help` names no \"toml KEY\": cannot read its config keys")
    for binary, helps in texts.items():
        for name in sorted(set().union(*(env_names(t) for t in helps))):
            need(binary, docs[binary].has(word(name)),
                 f"{binary}: environment variable {name} (from `{binary} --help`)")
    return missing, checked


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", required=True, help="the repository (the docs are read there)")
    parser.add_argument("--shoal", required=True)
    parser.add_argument("--shoal-broker", required=True)
    parser.add_argument("--shoal-worker", required=True)
    args = parser.parse_args()

    root = os.path.abspath(args.root)
    docs = docs_for(root)
    for binary, d in docs.items():
        if len(d.files) < len(HOME_DOCS[binary]):
            print(f"docs check: {binary}'s docs {HOME_DOCS[binary]} are not all under {root}", file=sys.stderr)
            return 2
    try:
        missing, checked = check(docs, args.shoal, args.shoal_broker, args.shoal_worker)
    except HelpError as e:
        print(f"docs check: {e}", file=sys.stderr)
        return 2
    searched = sorted(set(f for d in docs.values() for f in d.files))
    if missing:
        print(f"docs check FAILED: {len(missing)} of the {checked} verbs, options, inspect targets, config keys "
              f"and environment variables the binaries accept are not in their docs (under {root}):",
              file=sys.stderr)
        for m in missing:
            print(f"  - {m}", file=sys.stderr)
        return 1
    print(f"docs check: all {checked} verbs, options, inspect targets, config keys and environment "
          f"variables are in the docs ({', '.join(searched)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
