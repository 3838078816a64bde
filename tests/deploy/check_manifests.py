#!/usr/bin/python3
"""The deployment recipes under deploy/ run commands the real binaries accept (issue 15).

Images cannot be pulled here and there is no cluster, so this checks what can be checked:

1. `yamllint -c deploy/.yamllint` on every YAML file under deploy/ (errors fail).
2. Every command line given to shoal-broker, shoal-worker or shoal, with the SHOAL_* variables
   set for it, from:
   - deploy/docker/Dockerfile: the final stage's ENTRYPOINT + CMD (ENV too);
   - deploy/compose.yaml alone, and with each override deploy/compose.*.yaml on top:
     entrypoint/command of the services that run the Shoal image, healthcheck tests;
   - deploy/kubernetes/*.yaml: command/args of every container and init container of the
     Shoal image, exec probes (startup, readiness, liveness) and lifecycle hooks (preStop,
     postStart); env, envFrom (ConfigMaps in the same files) and $(VAR) expansion;
   - deploy/systemd/*.service (if any): ExecStart/ExecStartPre/ExecReload/ExecStop lines
     with Environment= (instance %i taken as 1);
   - the sh code blocks of deploy/**/*.md: a program in command position (first word, or
     after sudo/env/exec, after `--`, after a shoal:* image, after `exec|run SERVICE`).
   Commands inside `sh -c '...'` scripts and behind wrappers (tini, env, exec) are found too.
   Paths inside the image (/opt/shoal/bin/shoal-broker, ...) are mapped to the binaries given.

   Each is run against the real binaries:
   - static check against `--help` (CLI11): every option exists (for `shoal`, the verb exists
     and the options are the verb's or the global ones: `shoal VERB --help`), options that take
     a value have one, positional values are in their `{...}` set;
   - `--check-config` appended (shoal-broker, shoal-worker and shoal alike), run with the
     container's SHOAL_* variables and no others: exit 0, or the line fails with the output;
   - every SHOAL_* variable set for a container is one a program run there reads (the
     names its --help prints), so a renamed variable fails too.
3. What the numbers must agree on: a worker's effective --grace (its `--print-config`) is
   shorter than Kubernetes' terminationGracePeriodSeconds, compose's stop_grace_period and
   systemd's TimeoutStopSec; a probe's or healthcheck's own timeout is longer than the
   `shoal --timeout` it runs; pods running Shoal set enableServiceLinks: false when a Service
   is named shoal-* (else Kubernetes sets SHOAL_* variables); kustomization.yaml lists every
   manifest.

Usage (ctest passes the paths, tests/CMakeLists.txt):
    check_manifests.py --shoal-broker PATH --shoal-worker PATH --shoal PATH
                       [--seed-plugin PATH] [--root DIR] [--list] [--help-only] [-v]
--root: the repository (or a copy of deploy/ alone); default: this file's repository.
--list: print every command found, with its file, place and variables, and exit 0.
--help-only: skip the --check-config and --print-config runs (binaries without them).
Exit 0 when everything passes, 1 naming each failure with its file and command, 2 for a
usage error (a binary missing, no deploy/ tree).
"""

import argparse
import glob
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

try:
    import yaml
except ImportError:  # Debian: python3-yaml
    print("check_manifests: PyYAML is missing (apt-get install python3-yaml)", file=sys.stderr)
    sys.exit(2)

PROGRAMS = ("shoal-broker", "shoal-worker", "shoal")
IMAGE_PREFIX = "/opt/shoal"
SHELLS = ("sh", "bash", "dash")
RUN_TIMEOUT_S = 20


class Failure(Exception):
    pass


# ---------------------------------------------------------------------------------------------
# The binaries' --help (CLI11)


class Help:
    """One CLI11 --help text: options {name: spec}, subcommands, positionals [(name, choices)],
    the SHOAL_* names it mentions, whether it has --check-config and --print-config."""

    TYPE = re.compile(r"(TEXT|FLOAT|SECONDS|UINT|INT|NUMBER|FILE|DIR|PATH|BOOLEAN|ENUM)\b(\S*)( \.\.\.)?")

    def __init__(self, text):
        self.text = text
        self.options = {}
        self.subcommands = []
        self.positionals = []
        section = None
        for line in text.splitlines():
            header = re.fullmatch(r"([A-Z][A-Za-z ]*):\s*", line)
            if header:
                section = header.group(1)
                continue
            if not re.match(r"  \S", line):
                if not line.strip():
                    section = None
                continue
            first = line.split()[0]
            if section == "Options":
                rest = line[2 + len(first):]
                typed = self.TYPE.match(rest[1:]) if rest.startswith(" ") and rest[1:2] != " " else None
                spec = {
                    "value": typed is not None,
                    "many": bool(typed and typed.group(3)),
                    "type": typed.group(1) if typed else None,
                    "default": None,
                }
                if typed:
                    default = re.search(r"=([^\s=]+)$", typed.group(2))
                    spec["default"] = default.group(1) if default else None
                for name in first.split(","):
                    if name.startswith("-"):
                        self.options[name] = spec
            elif section == "Subcommands":
                self.subcommands.append(first)
            elif section == "Positionals":
                choices = re.search(r":\{([^}]*)\}", line)
                self.positionals.append(
                    (first, [c for c in choices.group(1).split(",")] if choices else None))
        self.names = set(re.findall(r"\bSHOAL_[A-Z0-9_]+\b", text))
        self.check_config = "--check-config" in self.options
        self.print_config = "--print-config" in self.options


class Binaries:
    def __init__(self, paths, seed_plugin, deploy, configs):
        self.paths = paths  # program -> path
        self.seed_plugin = seed_plugin
        self.deploy = deploy
        self.configs = configs  # path in a recipe -> a file here with the content the docs give
        self.helps = {}

    def help(self, program, verb=None):
        key = (program, verb)
        if key not in self.helps:
            argv = [self.paths[program]] + ([verb] if verb else []) + ["--help"]
            done = run(argv, {})
            if done.returncode != 0 or "Usage:" not in done.stdout:
                raise Failure(f"`{' '.join(argv)}` exited {done.returncode} without a help text: "
                              f"{(done.stdout + done.stderr).strip()[:300]}")
            self.helps[key] = Help(done.stdout)
        return self.helps[key]

    def config_file(self, path):
        """A config file named in a recipe, as a file here: one the docs write, one in
        deploy/ with that name, or the path itself if it is a file here. None otherwise."""
        if path in self.configs:
            return self.configs[path]
        if os.path.isabs(path):
            found = glob.glob(os.path.join(self.deploy, "**", os.path.basename(path)), recursive=True)
            if len(found) == 1:
                return found[0]
        return path if os.path.isfile(path) else None

    def map_path(self, arg):
        """An argument naming a file inside the image, as a file here."""
        if not arg.startswith(IMAGE_PREFIX + "/"):
            return arg
        base = os.path.basename(arg)
        if arg.startswith(IMAGE_PREFIX + "/bin/") and base in self.paths:
            return self.paths[base]
        if self.seed_plugin and base == os.path.basename(self.seed_plugin):
            return self.seed_plugin
        return arg


def run(argv, shoal_env):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHOAL_")}
    env.update(shoal_env)
    try:
        return subprocess.run(argv, capture_output=True, text=True, env=env, timeout=RUN_TIMEOUT_S,
                              stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return subprocess.CompletedProcess(argv, 124, "", f"timed out after {RUN_TIMEOUT_S} s")
    except OSError as e:
        return subprocess.CompletedProcess(argv, 127, "", f"cannot run: {e}")


# ---------------------------------------------------------------------------------------------
# What a deployment file runs


class Invocation:
    """One command line of a Shoal program, where it was found and what it was given."""

    def __init__(self, file, where, argv, env, context=None):
        self.file = file
        self.where = where
        self.argv = argv  # argv[0] is the program's name (shoal-broker, shoal-worker, shoal)
        self.env = env  # the SHOAL_* variables set for it
        self.context = context or {}  # grace limits, probe timeouts, the container's programs

    @property
    def program(self):
        return self.argv[0]

    def text(self):
        env = " ".join(f"{k}={shlex.quote(v)}" for k, v in sorted(self.env.items()))
        return (env + " " if env else "") + shlex.join(self.argv)


def program_name(word):
    """shoal-broker for shoal-broker, /opt/shoal/bin/shoal-broker or build/.../shoal-broker."""
    base = os.path.basename(word)
    if base in PROGRAMS and (word == base or "/" in word):
        return base
    return None


def find_programs(argv, env):
    """[(argv, env)] of every Shoal program argv runs: itself, behind wrappers, or in an
    `sh -c` script. Anything else (redis-cli, kill, grep, install) is not ours."""
    env = dict(env)
    argv = list(argv)
    while argv:
        head = os.path.basename(argv[0])
        if head in ("tini", "tini-static"):
            argv = argv[argv.index("--") + 1:] if "--" in argv else argv[1:]
        elif head in ("exec", "nohup"):
            argv = argv[1:]
        elif head == "env":
            argv = argv[1:]
            while argv and (argv[0].startswith("-") or re.match(r"[A-Za-z_]\w*=", argv[0])):
                if "=" in argv[0] and not argv[0].startswith("-"):
                    k, v = argv[0].split("=", 1)
                    env[k] = v
                argv = argv[1:]
        elif head in SHELLS and "-c" in argv[1:]:
            i = argv.index("-c")
            if i + 1 >= len(argv):
                return []
            return [(a, e) for cmd, e in shell_commands(argv[i + 1], env) for a, e in
                    find_programs(cmd, e)]
        else:
            break
    if argv and program_name(argv[0]):
        return [([program_name(argv[0])] + argv[1:], env)]
    return []


SHELL_OPERATORS = {"|", "||", "&&", ";", "&", "(", ")", ";;", "|&"}


def shell_commands(script, env):
    """The simple commands of a shell script (pipelines and lists split), each with the
    variables its leading assignments set. Good enough for one-line health checks."""
    lexer = shlex.shlex(script, posix=True, punctuation_chars=";&|()")
    lexer.whitespace_split = True
    lexer.commenters = "#"
    words = list(lexer)
    out, current = [], []
    for w in words + [";"]:
        if w in SHELL_OPERATORS:
            if current:
                e = dict(env)
                while current and re.match(r"[A-Za-z_]\w*=", current[0]):
                    k, v = current.pop(0).split("=", 1)
                    e[k] = v
                if current:
                    out.append((current, e))
            current = []
        else:
            current.append(w)
    return out


def shoal_env(env):
    return {k: v for k, v in env.items() if k.startswith("SHOAL_")}


# --- the Dockerfile --------------------------------------------------------------------------


class Image:
    """The final stage of deploy/docker/Dockerfile: ENTRYPOINT, CMD, ENV."""

    def __init__(self, path):
        self.path = path
        self.entrypoint, self.cmd, self.env, self.packages = [], [], {}, []
        if not os.path.isfile(path):
            return
        with open(path, encoding="utf-8") as f:
            text = re.sub(r"\\\n", " ", f.read())
        for line in text.splitlines():
            line = line.strip()
            m = re.match(r"(?i)(FROM|ENTRYPOINT|CMD|ENV|RUN)\s+(.*)", line)
            if not m:
                continue
            word, rest = m.group(1).upper(), m.group(2).strip()
            if word == "FROM":  # a new stage: only the last one counts
                self.entrypoint, self.cmd, self.env, self.packages = [], [], {}, []
            elif word == "RUN":
                for words, _ in shell_commands(rest, {}):
                    if words[:1] == ["apt-get"] and "install" in words:
                        self.packages += [w for w in words[words.index("install") + 1:]
                                          if not w.startswith("-")]
            elif word in ("ENTRYPOINT", "CMD"):
                value = json.loads(rest) if rest.startswith("[") else ["/bin/sh", "-c", rest]
                if word == "ENTRYPOINT":
                    self.entrypoint = value
                else:
                    self.cmd = value
            else:
                for k, v in re.findall(r"(\w+)=(\"[^\"]*\"|\S+)", rest):
                    self.env[k] = v.strip('"')

    def is_ours(self, image, kustomize_images=()):
        """Whether an image reference is this image: its name (without registry or tag) is
        shoal, or a kustomization renames shoal to it."""
        if not image:
            return False
        name = image.split("@")[0]
        if ":" in name.rsplit("/", 1)[-1]:
            name = name.rsplit(":", 1)[0]
        return name.rsplit("/", 1)[-1] == "shoal" or name in kustomize_images

    def invocations(self, rel):
        out = []
        argv = self.entrypoint + self.cmd
        for prog, env in find_programs(argv, self.env):
            out.append(Invocation(rel, "ENTRYPOINT + CMD", prog, shoal_env(env)))
        return out


# --- compose ---------------------------------------------------------------------------------


def interpolate(value, variables):
    """Compose's ${VAR}, ${VAR:-default}, ${VAR-default}, $VAR and $$ (a literal $)."""
    def one(m):
        if m.group(0) == "$$":
            return "$"
        name = m.group(1) or m.group(4)
        if m.group(2) in (":?", "?") and not variables.get(name):
            raise Failure(f"${{{name}}} is required ({m.group(3)})")
        if name in variables and (variables[name] or m.group(2) != ":-"):
            return variables[name]
        return m.group(3) if m.group(2) in (":-", "-") else ""
    return re.sub(r"\$\$|\$\{(\w+)(?:(:?[-?])([^}]*))?\}|\$(?=\w)()(\w+)", one, value)


def walk(value, fn):
    if isinstance(value, dict):
        return {k: walk(v, fn) for k, v in value.items()}
    if isinstance(value, list):
        return [walk(v, fn) for v in value]
    return fn(value) if isinstance(value, str) else value


def env_of(value, where):
    """A compose environment (list or mapping) as a dict of strings."""
    out = {}
    items = value.items() if isinstance(value, dict) else \
        [(e.split("=", 1) + [None])[:2] for e in (value or [])]
    for k, v in items:
        if v is None:
            raise Failure(f"{where}: {k} takes its value from the host's environment; give it one")
        out[k] = ("true" if v else "false") if isinstance(v, bool) else str(v)
    return out


def merge_service(base, override):
    out = dict(base)
    for k, v in override.items():
        if k == "environment":
            out[k] = {**env_of(base.get(k), k), **env_of(v, k)}
        elif k in ("volumes", "ports", "secrets") and isinstance(v, list):
            out[k] = list(base.get(k) or []) + v
        elif isinstance(v, dict) and isinstance(base.get(k), dict):
            out[k] = {**base[k], **v}
        else:
            out[k] = v
    return out


def duration_s(text, where):
    """A compose duration (1m30s, 40s, 500ms) in seconds."""
    text = str(text)
    parts = re.findall(r"(\d+(?:\.\d+)?)(h|ms|m|s|us)", text)
    if not parts or "".join(a + b for a, b in parts) != text:
        raise Failure(f"{where}: cannot read the duration {text!r}")
    unit = {"h": 3600, "m": 60, "s": 1, "ms": 0.001, "us": 1e-6}
    return sum(float(a) * unit[b] for a, b in parts)


def compose_invocations(rel_files, docs, image, variables):
    """The Shoal command lines of a compose project made of these files (the first one, with
    the others as overrides on top)."""
    label = " + ".join(rel_files)
    project = {}
    for doc, rel in zip(docs, rel_files):
        doc = walk(doc or {}, lambda s: interpolate(s, variables))
        for name, svc in (doc.get("services") or {}).items():
            project[name] = merge_service(project.get(name, {}), svc or {})
    out = []
    for name, svc in project.items():
        build = svc.get("build")
        dockerfile = build.get("dockerfile", "") if isinstance(build, dict) else ""
        if not (image.is_ours(svc.get("image")) or dockerfile.endswith("deploy/docker/Dockerfile")):
            continue
        where = f"services.{name}"
        env = env_of(svc.get("environment"), where + ".environment")
        env = {**image.env, **env}

        def words(value):
            return shlex.split(value) if isinstance(value, str) else [str(w) for w in value]
        if "entrypoint" in svc:
            entrypoint = words(svc["entrypoint"] or [])
            command = words(svc.get("command") or [])
        else:
            entrypoint = image.entrypoint
            command = words(svc["command"]) if "command" in svc else image.cmd
        grace = duration_s(svc.get("stop_grace_period", "10s"), where + ".stop_grace_period")
        context = {"stop_limit": (grace, f"{where}.stop_grace_period")}
        found = []
        for prog, e in find_programs(entrypoint + command, env):
            found.append(Invocation(label, where + ".command", prog, shoal_env(e), dict(context)))
        health = svc.get("healthcheck") or {}
        test = health.get("test")
        if test and not health.get("disable"):
            if isinstance(test, str):
                test = ["CMD-SHELL", test]
            argv = test[1:] if test[0] == "CMD" else \
                ["/bin/sh", "-c", test[1]] if test[0] == "CMD-SHELL" else []
            timeout = duration_s(health.get("timeout", "30s"), where + ".healthcheck.timeout")
            for prog, e in find_programs(argv, env):
                found.append(Invocation(label, where + ".healthcheck.test", prog, shoal_env(e),
                                        {"probe_timeout": (timeout, f"{where}.healthcheck.timeout")}))
        programs = sorted({i.program for i in found})
        for inv in found:
            inv.context["container"] = (label, where, env, programs)
        out.extend(found)
    return out


# --- Kubernetes ------------------------------------------------------------------------------


POD_KINDS = {"Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob"}


def pod_spec(doc):
    kind = doc.get("kind")
    if kind == "Pod":
        return doc.get("spec") or {}
    if kind == "CronJob":
        return (((doc.get("spec") or {}).get("jobTemplate") or {}).get("spec") or {}) \
            .get("template", {}).get("spec") or {}
    return ((doc.get("spec") or {}).get("template") or {}).get("spec") or {}


def k8s_expand(word, env):
    """$(VAR) from the container's variables; $$(VAR) is a literal $(VAR)."""
    return re.sub(r"\$\$\(|\$\((\w+)\)",
                  lambda m: "$(" if m.group(0) == "$$(" else env.get(m.group(1), m.group(0)), word)


def container_env(container, configmaps, where):
    env = {}
    for source in container.get("envFrom") or []:
        ref = source.get("configMapRef")
        if ref:
            data = configmaps.get(ref.get("name"))
            if data is None:
                raise Failure(f"{where}: envFrom ConfigMap {ref.get('name')} is not in these files")
            prefix = source.get("prefix", "")
            env.update({prefix + k: str(v) for k, v in data.items()})
        elif source.get("secretRef"):
            pass  # a Secret's keys are not in these files: unknown
    for item in container.get("env") or []:
        name = item.get("name")
        if "value" in item:
            env[name] = k8s_expand(str(item["value"]), env)
        elif "valueFrom" in item:
            ref = item["valueFrom"].get("configMapKeyRef")
            if ref and ref.get("name") in configmaps and ref.get("key") in configmaps[ref["name"]]:
                env[name] = str(configmaps[ref["name"]][ref["key"]])
            else:
                env[name] = "placeholder"  # a Secret, a field of the pod: any text
        else:
            env[name] = ""
    return env


def k8s_invocations(rel, docs, image, configmaps, kustomize_images, shoal_services):
    out = []
    for index, doc in enumerate(docs):
        if not isinstance(doc, dict) or doc.get("kind") not in POD_KINDS:
            continue
        spec = pod_spec(doc)
        name = f"{doc['kind']}/{(doc.get('metadata') or {}).get('name', index)}"
        grace = spec.get("terminationGracePeriodSeconds", 30)
        pod_found = []
        for group in ("initContainers", "containers"):
            for c in spec.get(group) or []:
                if not image.is_ours(c.get("image"), kustomize_images):
                    continue
                where = f"{name} {group}[{c.get('name')}]"
                env = {**image.env, **container_env(c, configmaps, where)}
                if "command" in c:
                    argv = [k8s_expand(str(w), env) for w in c["command"] + (c.get("args") or [])]
                else:
                    args = c["args"] if "args" in c else image.cmd
                    argv = image.entrypoint + [k8s_expand(str(w), env) for w in args]
                found = []
                # httpGet probes: the port (a number, or a name of the container's ports) and path.
                named_ports = {p.get("name"): p.get("containerPort") for p in c.get("ports") or []}
                http_probes = []
                for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
                    get = (c.get(probe) or {}).get("httpGet")
                    if get:
                        port = get.get("port")
                        http_probes.append((f"{where} {probe}", get.get("path", "/"),
                                            named_ports.get(port, port)))
                for prog, e in find_programs(argv, env):
                    context = {"stop_limit": (grace, f"{name} terminationGracePeriodSeconds")}
                    if http_probes:
                        context["http_probes"] = http_probes
                    found.append(Invocation(rel, where + " command/args", prog, shoal_env(e), context))
                for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
                    command = ((c.get(probe) or {}).get("exec") or {}).get("command")
                    if command:
                        timeout = c[probe].get("timeoutSeconds", 1)
                        for prog, e in find_programs([str(w) for w in command], env):
                            found.append(Invocation(rel, f"{where} {probe}", prog, shoal_env(e),
                                                    {"probe_timeout": (timeout, f"{where} {probe}.timeoutSeconds")}))
                for hook in ("preStop", "postStart"):
                    command = (((c.get("lifecycle") or {}).get(hook) or {}).get("exec") or {}).get("command")
                    if command:
                        for prog, e in find_programs([str(w) for w in command], env):
                            found.append(Invocation(rel, f"{where} lifecycle.{hook}", prog, shoal_env(e)))
                programs = sorted({i.program for i in found})
                for inv in found:
                    inv.context["container"] = (rel, where, env, programs)
                pod_found.extend(found)
        if pod_found and shoal_services and spec.get("enableServiceLinks", True):
            pod_found[0].context["service_links"] = (
                f"{name}: set enableServiceLinks: false (the Services {', '.join(shoal_services)} "
                "would put SHOAL_* variables into its environment)")
        out.extend(pod_found)
    return out


# --- systemd ---------------------------------------------------------------------------------


def systemd_specifiers(value, unit):
    """%i (the instance: 1), %H and %l (a host name), %n, %N, %p, %%."""
    instance = "1"
    name = unit.replace("@.", f"@{instance}.")
    table = {"i": instance, "I": instance, "H": "host", "l": "host", "n": name,
             "N": name.rsplit(".", 1)[0], "p": unit.split("@")[0].rsplit(".", 1)[0], "%": "%"}
    return re.sub(r"%(.)", lambda m: table.get(m.group(1), m.group(0)), value)


def systemd_invocations(rel, path, deploy, files, notes):
    values = {}
    section = None
    env = {}
    lines = []
    with open(path, encoding="utf-8") as f:
        text = re.sub(r"\\\n", " ", f.read())
    for line in text.splitlines():
        line = line.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("["):
            section = line
            continue
        if "=" in line and section == "[Service]":
            k, v = line.split("=", 1)
            k, v = k.strip(), v.strip()
            v = systemd_specifiers(v, os.path.basename(path))
            values[k] = v
            if k == "Environment":
                for assignment in shlex.split(v):
                    if "=" in assignment:
                        a, b = assignment.split("=", 1)
                        env[a] = b
            elif k == "EnvironmentFile":
                # The file as the docs write it (a heredoc), or one of that name in deploy/.
                name = v.lstrip("-")
                candidates = glob.glob(os.path.join(deploy, "**", os.path.basename(name)), recursive=True)
                content = files.get(name)
                if content is None and len(candidates) == 1:
                    with open(candidates[0], encoding="utf-8") as ef:
                        content = ef.read()
                if content is None:
                    notes.add(f"{rel}: EnvironmentFile {name} is not in deploy/ nor written by its "
                              "docs: checked without it")
                    continue
                for el in content.splitlines():
                    el = el.strip()
                    if el and not el.startswith("#") and "=" in el:
                        a, b = el.split("=", 1)
                        env[a.strip()] = " ".join(shlex.split(b)) if b.strip() else ""
            elif k in ("ExecStart", "ExecStartPre", "ExecStartPost", "ExecReload", "ExecStop"):
                lines.append((k, v))
    stop = values.get("TimeoutStopSec") or values.get("TimeoutSec") or "90s"
    try:
        stop_s = float(stop) if re.fullmatch(r"\d+(\.\d+)?", stop) else duration_s(
            stop.replace(" ", ""), f"{rel} TimeoutStopSec")
    except Failure:
        stop_s = None
    out = []
    for key, v in lines:
        v = v.lstrip("-@+!:")
        argv = [re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: env.get(m.group(1) or m.group(2), m.group(0)), w)
                for w in shlex.split(v)]
        for prog, e in find_programs(argv, env):
            context = {"stop_limit": (stop_s, f"{rel} TimeoutStopSec")} if stop_s else {}
            inv = Invocation(rel, key, prog, shoal_env(e), context)
            out.append(inv)
    programs = sorted({i.program for i in out})
    for inv in out:
        inv.context["container"] = (rel, "[Service]", env, programs)
    return out


# --- Markdown --------------------------------------------------------------------------------


def markdown_invocations(rel, path, files):
    """Shoal programs in command position in the sh code blocks; the files their heredocs
    write (`sudo tee /etc/shoal/broker.toml <<'EOF'`) go into `files`, by path."""
    out = []
    with open(path, encoding="utf-8") as f:
        text = f.read()
    for block in re.findall(r"```(?:sh|bash|shell|console)\n(.*?)```", text, re.S):
        lines = re.sub(r"\\\n", " ", block).splitlines()
        exported = {}  # `export NAME=value` holds for the rest of the block
        n = 0
        while n < len(lines):
            line = lines[n]
            n += 1
            heredoc = re.search(r"<<-?\s*['\"]?(\w+)['\"]?", line)
            if heredoc:
                target = re.search(r"(?:\btee\s+(?:-a\s+)?|>\s*)(/\S+)", line)
                body = []
                while n < len(lines) and lines[n].strip() != heredoc.group(1):
                    body.append(lines[n])
                    n += 1
                n += 1
                if target:
                    files[target.group(1)] = "\n".join(body) + "\n"
            try:
                commands = shell_commands(line, {})
            except ValueError:
                continue
            for words, env in commands:
                if words[0] == "export":
                    exported.update(w.split("=", 1) for w in words[1:] if "=" in w)
                    continue
                for start, extra in command_positions(words):
                    for prog, e in find_programs(words[start:], {**exported, **env, **extra}):
                        out.append(Invocation(rel, "code block", prog, shoal_env(e)))
    return out


DOCKER_VALUE_OPTIONS = {"-e", "--env", "-u", "--user", "-w", "--workdir", "-v", "--volume", "--name",
                        "--entrypoint", "--network", "-p", "--publish", "--env-file", "--mount", "-l",
                        "--label", "--pull", "--platform", "--index", "-f", "--file"}


def command_positions(words):
    """Where a command starts in a shell line: [(index, variables)]: the first word (after
    sudo, env, exec), the word after `--` (kubectl exec), after `docker [compose] exec|run
    [options] IMAGE-OR-SERVICE` (with its -e variables)."""
    i = 0
    while i < len(words) and words[i] in ("sudo", "env", "exec", "nohup", "time"):
        i += 1
        while i < len(words) and (words[i].startswith("-") or "=" in words[i]):
            i += 2 if words[i] in ("-u", "-g") else 1
    positions = [(i, {})] if i < len(words) else []
    if "--" in words[i:]:
        positions.append((words.index("--", i) + 1, {}))
    if i < len(words) and words[i] in ("docker", "podman"):
        verbs = [k for k in range(i, len(words)) if words[k] in ("exec", "run")]
        if verbs:
            k, env = verbs[0] + 1, {}
            while k < len(words) and words[k].startswith("-"):
                if words[k] in DOCKER_VALUE_OPTIONS and k + 1 < len(words):
                    if words[k] in ("-e", "--env") and "=" in words[k + 1]:
                        name, value = words[k + 1].split("=", 1)
                        env[name] = value
                    k += 1
                k += 1
            positions.append((k + 1, env))
    return [(p, e) for p, e in positions if p < len(words)]


# ---------------------------------------------------------------------------------------------
# Checking one command line


def looks_like_option(word):
    return len(word) >= 2 and word[0] == "-" and not re.match(r"-[0-9.]", word)


def parse_static(inv, binaries):
    """The static check against --help. Returns a list of problems."""
    problems = []
    unknown = False  # after an unknown option, its value would read as a stray argument
    program = inv.program
    top = binaries.help(program)
    options = dict(top.options)
    verb = None
    positionals = []
    words = inv.argv[1:]
    i = 0
    while i < len(words):
        word = words[i]
        if word == "--":
            positionals.extend(words[i + 1:])
            break
        if looks_like_option(word):
            name, eq, value = word.partition("=")
            if not name.startswith("--") and len(name) > 2 and name[:2] in options:
                name, eq, value = name[:2], "=", name[2:]  # -t2
            spec = options.get(name)
            if spec is None:
                unknown = True
                where = f"shoal {verb}" if verb else program
                problems.append(f"{where} has no option {name} (`{' '.join(x for x in [program, verb, '--help'] if x)}`)")
            elif spec["value"] and not eq:
                if spec["many"]:
                    while i + 1 < len(words) and not looks_like_option(words[i + 1]):
                        i += 1
                elif i + 1 >= len(words):
                    problems.append(f"{name} needs a value")
                else:
                    i += 1
                    value = words[i]
                    eq = "="
            if spec and spec["value"] and eq and spec["type"] in ("UINT", "INT", "FLOAT", "SECONDS", "NUMBER"):
                if not re.fullmatch(r"-?\d+(\.\d*)?([eE][-+]?\d+)?", value):
                    problems.append(f"{name} takes a number, not {value!r}")
        elif program == "shoal" and verb is None:
            verb = word
            if verb not in top.subcommands:
                problems.append(f"shoal has no verb {verb!r} (it has {', '.join(top.subcommands)})")
                return problems
            options = {**top.options, **binaries.help(program, verb).options}
        else:
            positionals.append(word)
        i += 1
    if program == "shoal":
        if verb is None and not any(w in ("--help", "-h", "--version", "--check-config", "--print-config")
                                    for w in words):
            problems.append("shoal needs a verb")
        elif verb is not None:
            specs = binaries.help(program, verb).positionals
            for n, value in enumerate(positionals):
                if n >= len(specs):
                    if verb != "submit" and not unknown:  # submit's extras: the task's arguments
                        problems.append(f"shoal {verb} takes no argument {value!r}")
                    continue
                name, choices = specs[n]
                if choices and value not in choices:
                    problems.append(f"shoal {verb} {name}: {value!r} is not one of {', '.join(choices)}")
    elif positionals and not unknown:
        problems.append(f"{program} takes no arguments, got {' '.join(positionals)}")
    return problems


CONFIG_VARIABLES = ("SHOAL_CONFIG", "SHOAL_WORKER_CONFIG", "SHOAL_CLI_CONFIG")


def prepare(inv, binaries, notes):
    """The command line and variables to run here: paths inside the image mapped to the
    binaries, config files to those the docs write (deploy/**/*.md heredocs) or found in
    deploy/ by name; a config file that is neither is left out, with a note."""
    argv = [binaries.paths[inv.program]]
    env = dict(inv.env)
    words = inv.argv[1:]
    i = 0
    while i < len(words):
        word = words[i]
        if word == "--config" and i + 1 < len(words) or word.startswith("--config="):
            path = words[i + 1] if word == "--config" else word.split("=", 1)[1]
            i += 1 if word == "--config" else 0
            local = binaries.config_file(path)
            if local:
                argv += ["--config", local]
            else:
                notes.add(f"{inv.file}: {inv.where}: config file {path} is not in deploy/ "
                          "nor written by its docs: checked without it")
        else:
            argv.append(binaries.map_path(word))
        i += 1
    for name in CONFIG_VARIABLES:
        if name in env:
            local = binaries.config_file(env[name])
            if local:
                env[name] = local
            else:
                notes.add(f"{inv.file}: {inv.where}: {name}={env[name]} is not in deploy/ nor "
                          "written by its docs: checked without it")
                del env[name]
    return argv, env


def check_invocation(inv, binaries, help_only, notes):
    """Problems with one command line: static, then --check-config."""
    problems = parse_static(inv, binaries)
    if problems or help_only:
        return problems
    top = binaries.help(inv.program)
    if not top.check_config:
        return [f"{inv.program} has no --check-config (use --help-only to check flags only)"]
    argv, env = prepare(inv, binaries, notes)
    if "--check-config" not in argv:
        argv.append("--check-config")
    done = run(argv, env)
    if done.returncode != 0:
        said = (done.stderr.strip() or done.stdout.strip()).splitlines()
        problems.append(f"--check-config exited {done.returncode}: " + " / ".join(said[-3:]))
    return problems


def effective(inv, binaries, key, help_only):
    """A setting's effective value (--print-config), or what the command line and the
    variables say, or the default --help prints. None if unknown."""
    if not help_only and binaries.help(inv.program).print_config:
        argv, env = prepare(inv, binaries, set())
        argv = [a for a in argv if a != "--check-config"]
        done = run(argv + ["--print-config"], env)
        m = re.search(rf"(?m)^{key}\s*=\s*['\"]?([^'\"\s#]+)", done.stdout)
        if done.returncode == 0 and m:
            return float(m.group(1))
    flag = "--" + key.replace("_", "-")
    value = None
    for n, word in enumerate(inv.argv):
        if word == flag and n + 1 < len(inv.argv):
            value = inv.argv[n + 1]
        elif word.startswith(flag + "="):
            value = word.split("=", 1)[1]
    if value is None:
        value = inv.env.get("SHOAL_" + key.upper())
    if value is None:
        spec = binaries.help(inv.program).options.get(flag)
        value = spec and spec["default"]
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def check_limits(inv, binaries, help_only, failing):
    """The numbers that must agree with this line's settings. `failing`: the line already
    failed, so a setting that cannot be read is no news."""
    problems = []
    if inv.program == "shoal-worker" and "stop_limit" in inv.context:
        limit, what = inv.context["stop_limit"]
        grace = effective(inv, binaries, "grace", help_only)
        if grace is None:
            if not failing:
                problems.append("cannot tell the worker's --grace")
        elif not limit > grace:
            problems.append(f"{what} is {limit:g} s, not more than the worker's drain (--grace {grace:g} s): "
                            "it would be killed while draining")
    if inv.program == "shoal" and "probe_timeout" in inv.context:
        limit, what = inv.context["probe_timeout"]
        timeout = effective(inv, binaries, "timeout", help_only)
        if timeout is not None and not limit > timeout:
            problems.append(f"{what} is {limit:g} s, not more than the CLI's --timeout {timeout:g} s")
    if "http_probes" in inv.context:
        problems += check_http_probes(inv, binaries, help_only)
    if "service_links" in inv.context:
        problems.append(inv.context["service_links"])
    return problems


# The paths each daemon's --http listener serves (broker/README.md, worker/README.md).
HTTP_PATHS = {"shoal-broker": {"/metrics", "/healthz", "/readyz"},
              "shoal-worker": {"/healthz", "/readyz"}}


def check_http_probes(inv, binaries, help_only):
    """An httpGet probe asks the daemon's own --http listener (its port) for a path it serves."""
    problems = []
    if inv.program not in HTTP_PATHS:
        return [f"{where}: an httpGet probe, but {inv.program} serves no HTTP"
                for where, _, _ in inv.context["http_probes"]]
    address = None
    if not help_only and binaries.help(inv.program).print_config:
        argv, env = prepare(inv, binaries, set())
        argv = [a for a in argv if a != "--check-config"]
        done = run(argv + ["--print-config"], env)
        m = re.search(r'(?m)^http\s*=\s*"([^"]*)"', done.stdout)
        address = m.group(1) if m else ""
    for where, path, port in inv.context["http_probes"]:
        if address is not None and not address:
            problems.append(f"{where}: httpGet {path}, but {inv.program} has no --http listener")
            continue
        if address is not None and not address.endswith(f":{port}"):
            problems.append(f"{where}: httpGet port {port}, but {inv.program} listens on {address}")
        if path not in HTTP_PATHS[inv.program]:
            problems.append(f"{where}: {inv.program} does not serve {path} "
                            f"(it serves {', '.join(sorted(HTTP_PATHS[inv.program]))})")
    return problems


def check_variables(invocations, binaries):
    """Every SHOAL_* variable of a container is read by a program run in it."""
    problems = []
    seen = set()
    for inv in invocations:
        container = inv.context.get("container")
        if not container or container[:2] in seen:
            continue
        seen.add(container[:2])
        rel, where, env, programs = container
        names = set()
        for program in programs:
            names |= binaries.help(program).names
        for name in sorted(k for k in env if k.startswith("SHOAL_")):
            if name not in names:
                problems.append((rel, where, f"{name} is read by none of {', '.join(programs)} "
                                             "(no --help names it)"))
    return problems


def check_image_libraries(image, binaries, rel):
    """The final image installs the Debian packages of every shared library the built
    programs and the seed plugin link (ldd here, dpkg -S), or has them already (what apt, in
    every Debian image, depends on). Problems as [(file, message)]; none without dpkg."""
    if not image.packages or not shutil.which("dpkg-query"):
        return []
    programs = list(binaries.paths.values()) + ([binaries.seed_plugin] if binaries.seed_plugin else [])
    needed = {}  # library path -> the programs that link it
    for program in programs:
        done = subprocess.run(["ldd", program], capture_output=True, text=True)
        for line in done.stdout.splitlines():
            m = re.match(r"\s*(\S+) => (/\S+)", line)
            # Shoal's own libraries come with the install; sanitizer runtimes with the build.
            if m and not re.match(r"libshoal|lib(a|ub|t|l|hwa)san\.", m.group(1)):
                needed.setdefault(m.group(2), set()).add(os.path.basename(program))
            elif "not found" in line:
                return [(rel, f"`ldd {program}`: {line.strip()}")]

    def owner(path):
        for candidate in (path, os.path.realpath(path), re.sub(r"^/lib", "/usr/lib", path),
                          re.sub(r"^/lib", "/usr/lib", os.path.realpath(path))):
            done = subprocess.run(["dpkg-query", "-S", candidate], capture_output=True, text=True)
            if done.returncode == 0:
                return done.stdout.split(":")[0].strip()
        return None

    def closure(packages):
        seen, todo = set(), list(packages)
        while todo:
            name = todo.pop()
            if name in seen:
                continue
            seen.add(name)
            done = subprocess.run(["dpkg-query", "-W", "-f=${Depends},${Pre-Depends}", name],
                                  capture_output=True, text=True)
            for alternative in done.stdout.split(","):
                first = alternative.split("|")[0].strip().split(" ")[0].split(":")[0]
                if first:
                    todo.append(first)
        return seen

    present = closure(set(image.packages) | {"apt", "libc6"})
    problems = []
    for path, users in sorted(needed.items()):
        package = owner(path)
        if package and package not in present:
            problems.append((rel, f"the final image lacks {package} ({os.path.basename(path)}, linked "
                                  f"by {', '.join(sorted(users))}): add it to its apt-get install"))
    return problems


# ---------------------------------------------------------------------------------------------
# The deploy tree


def deploy_dir(root):
    if os.path.isdir(os.path.join(root, "deploy")):
        return os.path.join(root, "deploy")
    if os.path.isfile(os.path.join(root, "compose.yaml")) or os.path.isdir(os.path.join(root, "kubernetes")):
        return root
    return None


def yaml_files(deploy):
    found = [p for p in glob.glob(os.path.join(deploy, "**", "*"), recursive=True)
             if p.endswith((".yaml", ".yml")) and os.path.isfile(p)]
    found += [os.path.join(deploy, ".yamllint")] if os.path.isfile(os.path.join(deploy, ".yamllint")) else []
    return sorted(found)


def run_yamllint(deploy, files):
    """[(file, message)] of yamllint errors; warnings are printed."""
    exe = shutil.which("yamllint")
    if not exe:
        return [("deploy/", "yamllint is not installed (apt-get install yamllint)")]
    config = os.path.join(deploy, ".yamllint")
    argv = [exe, "-f", "parsable"] + (["-c", config] if os.path.isfile(config) else ["-d", "relaxed"]) + files
    done = subprocess.run(argv, capture_output=True, text=True)
    errors = []
    for line in done.stdout.splitlines():
        if "[error]" in line:
            errors.append((os.path.relpath(line.split(":", 1)[0], deploy), line))
        elif line.strip():
            print(f"yamllint warning: {line}")
    if done.returncode not in (0, 1) or (done.returncode == 1 and not errors):
        errors.append(("deploy/", f"yamllint exited {done.returncode}: {done.stderr.strip()}"))
    return errors


def load_yaml(path):
    with open(path, encoding="utf-8") as f:
        return [d for d in yaml.safe_load_all(f)]


def collect(deploy, image):
    """Every invocation in the tree, problems found while reading it, the files the docs
    write (path -> content) and notes on what could not be checked."""
    invocations, problems, notes = [], [], set()
    rel = lambda p: os.path.relpath(p, os.path.dirname(deploy))  # noqa: E731
    invocations += image.invocations(rel(image.path)) if os.path.isfile(image.path) else []

    # compose: compose.yaml alone, then with each compose.*.yaml override.
    variables = {}
    dotenv = os.path.join(deploy, ".env")
    if os.path.isfile(dotenv):
        with open(dotenv, encoding="utf-8") as f:
            for line in f:
                if "=" in line and not line.lstrip().startswith("#"):
                    k, v = line.strip().split("=", 1)
                    variables[k] = v
    base = os.path.join(deploy, "compose.yaml")
    if os.path.isfile(base):
        overrides = sorted(p for p in glob.glob(os.path.join(deploy, "compose.*.yaml")))
        for files in [[base]] + [[base, o] for o in overrides]:
            try:
                docs = [load_yaml(f)[0] for f in files]
                invocations += compose_invocations([rel(f) for f in files], docs, image, variables)
            except (Failure, yaml.YAMLError) as e:
                problems.append((" + ".join(rel(f) for f in files), f"cannot read: {e}"))

    # Kubernetes: every manifest, with the ConfigMaps and Services they define.
    kdir = os.path.join(deploy, "kubernetes")
    manifests = {}
    for path in sorted(glob.glob(os.path.join(kdir, "**", "*.y*ml"), recursive=True)):
        try:
            manifests[path] = [d for d in load_yaml(path) if d]
        except yaml.YAMLError as e:
            problems.append((rel(path), f"cannot parse: {e}"))
    kustomize_images, listed = set(), None
    for path, docs in manifests.items():
        for d in docs:
            if d.get("kind") == "Kustomization":
                listed = {os.path.normpath(os.path.join(os.path.dirname(path), r))
                          for r in d.get("resources") or []}
                for entry in d.get("images") or []:
                    if entry.get("name") == "shoal" and entry.get("newName"):
                        kustomize_images.add(entry["newName"])
                for r in sorted(listed):
                    if not os.path.exists(r):
                        problems.append((rel(path), f"resources lists {os.path.relpath(r, kdir)}, "
                                                    "which is not there"))
    configmaps = {d["metadata"]["name"]: d.get("data") or {} for docs in manifests.values() for d in docs
                  if d.get("kind") == "ConfigMap"}
    services = sorted(d["metadata"]["name"] for docs in manifests.values() for d in docs
                      if d.get("kind") == "Service" and d["metadata"]["name"].startswith("shoal"))
    for path, docs in manifests.items():
        if listed is not None and path not in listed and not any(d.get("kind") == "Kustomization" for d in docs):
            problems.append((rel(path), "not listed in kustomization.yaml's resources"))
        try:
            invocations += k8s_invocations(rel(path), docs, image, configmaps, kustomize_images, services)
        except Failure as e:
            problems.append((rel(path), str(e)))

    files = {}
    documented = []
    for path in sorted(glob.glob(os.path.join(deploy, "**", "*.md"), recursive=True)):
        documented += markdown_invocations(rel(path), path, files)
    for path in sorted(glob.glob(os.path.join(deploy, "systemd", "*.service"))):
        invocations += systemd_invocations(rel(path), path, deploy, files, notes)
    return invocations + documented, problems, files, notes


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    here = os.path.dirname(os.path.abspath(__file__))
    parser.add_argument("--root", default=os.path.dirname(os.path.dirname(here)),
                        help="the repository, or a deploy/ tree (default: this repository)")
    parser.add_argument("--shoal-broker", help="the shoal-broker binary")
    parser.add_argument("--shoal-worker", help="the shoal-worker binary")
    parser.add_argument("--shoal", help="the shoal CLI binary")
    parser.add_argument("--seed-plugin", help="libshoal_seed_tasks_plugin.so (maps its /opt/shoal path)")
    parser.add_argument("--list", action="store_true", help="print the commands found and exit")
    parser.add_argument("--help-only", action="store_true",
                        help="check flags against --help only (no --check-config, --print-config)")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every command checked")
    args = parser.parse_args()

    deploy = deploy_dir(os.path.abspath(args.root))
    if deploy is None:
        print(f"check_manifests: no deploy/ tree in {args.root}", file=sys.stderr)
        return 2
    image = Image(os.path.join(deploy, "docker", "Dockerfile"))
    invocations, problems, files, notes = collect(deploy, image)

    if args.list:
        for inv in invocations:
            print(f"{inv.file}: {inv.where}:\n    {inv.text()}")
        print(f"{len(invocations)} commands")
        for file, message in problems:
            print(f"problem: {file}: {message}")
        for path in sorted(files):
            print(f"file written in the docs: {path}")
        for note in sorted(notes):
            print(f"note: {note}")
        return 0

    paths = {"shoal-broker": args.shoal_broker, "shoal-worker": args.shoal_worker, "shoal": args.shoal}
    for program, path in paths.items():
        if not path or not os.access(path, os.X_OK):
            print(f"check_manifests: --{program} must name the built {program} (got {path})", file=sys.stderr)
            return 2
    scratch = tempfile.mkdtemp(prefix="check_manifests.")
    configs = {}
    for n, (path, content) in enumerate(sorted(files.items())):
        local = os.path.join(scratch, f"{n}-{os.path.basename(path)}")
        with open(local, "w", encoding="utf-8") as f:
            f.write(content)
        configs[path] = local
    try:
        binaries = Binaries({p: os.path.abspath(v) for p, v in paths.items()},
                            os.path.abspath(args.seed_plugin) if args.seed_plugin else None,
                            deploy, configs)
        return check_all(args, deploy, image, binaries, invocations, problems, notes)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def check_all(args, deploy, image, binaries, invocations, problems, notes):

    failures = []
    files = yaml_files(deploy)
    for file, message in run_yamllint(deploy, files):
        failures.append(f"FAIL yamllint {file}: {message}")
    for file, message in problems:
        failures.append(f"FAIL {file}: {message}")
    image_rel = os.path.relpath(image.path, os.path.dirname(deploy))
    for file, message in check_image_libraries(image, binaries, image_rel):
        failures.append(f"FAIL {file}: {message}")

    counts = {p: 0 for p in PROGRAMS}
    for inv in invocations:
        counts[inv.program] += 1
        try:
            found = check_invocation(inv, binaries, args.help_only, notes)
            found += check_limits(inv, binaries, args.help_only, bool(found))
        except Failure as e:
            found = [str(e)]
        if found:
            failures.append(f"FAIL {inv.file}: {inv.where}:\n    {inv.text()}\n" +
                            "\n".join(f"    -> {p}" for p in found))
        elif args.verbose:
            print(f"ok   {inv.file}: {inv.where}: {inv.text()}")
    try:
        for file, where, message in check_variables(invocations, binaries):
            failures.append(f"FAIL {file}: {where}: {message}")
    except Failure as e:
        failures.append(f"FAIL {e}")

    for note in sorted(notes):
        print(f"note: {note}")
    for failure in failures:
        print(failure)
    mode = "flags against --help" if args.help_only else "--help and --check-config"
    print(f"check_manifests: {len(invocations)} commands checked ({mode}): "
          f"{counts['shoal-broker']} shoal-broker, {counts['shoal-worker']} shoal-worker, "
          f"{counts['shoal']} shoal; {len(files)} YAML files linted; "
          f"{'all good' if not failures else f'{len(failures)} failure(s)'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
