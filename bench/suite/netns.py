"""Hosts for the scaling figure: a hub namespace (broker and client) joined by a bridge to one
namespace per worker, each on its own veth pair, as if each worker had a machine of its own.
Nothing is reachable from outside the namespaces; everything is deleted by remove()."""

import os
import subprocess


class Hosts:
    def __init__(self, workers):
        tag = os.getpid() % 60000
        self.suffix = str(tag)
        self.subnet = f"10.{200 + tag // 250 % 50}.{tag % 250}"
        self.hub = f"sbh-{self.suffix}"
        self.workers = [f"sbw{i}-{self.suffix}" for i in range(workers)]
        self._made = []
        try:
            self._ip("netns", "add", self.hub)
            self._made.append(self.hub)
            self._ip("-n", self.hub, "link", "set", "lo", "up")
            self._ip("-n", self.hub, "link", "add", "br0", "type", "bridge")
            self._ip("-n", self.hub, "addr", "add", f"{self.hub_address}/24", "dev", "br0")
            self._ip("-n", self.hub, "link", "set", "br0", "up")
            for i, ns in enumerate(self.workers):
                self._ip("netns", "add", ns)
                self._made.append(ns)
                near, far = f"sbv{i}h{self.suffix}", f"sbv{i}w{self.suffix}"
                self._ip("link", "add", near, "type", "veth", "peer", "name", far)
                self._ip("link", "set", near, "netns", self.hub)
                self._ip("link", "set", far, "netns", ns)
                self._ip("-n", self.hub, "link", "set", near, "master", "br0")
                self._ip("-n", self.hub, "link", "set", near, "up")
                self._ip("-n", ns, "addr", "add", f"{self.subnet}.{10 + i}/24", "dev", far)
                self._ip("-n", ns, "link", "set", far, "up")
                self._ip("-n", ns, "link", "set", "lo", "up")
        except Exception:
            self.remove()
            raise

    @property
    def hub_address(self):
        return f"{self.subnet}.1"

    def on_hub(self):
        return ["ip", "netns", "exec", self.hub]

    def on_worker(self, i):
        return ["ip", "netns", "exec", self.workers[i]]

    def remove(self):
        # Deleting a namespace deletes its ends of the veth pairs, and with them the others.
        for ns in reversed(self._made):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        self._made = []

    @staticmethod
    def _ip(*args):
        r = subprocess.run(["ip", *args], capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(f"'ip {' '.join(args)}' failed: {r.stderr.strip()} (namespaces need root and iproute2)")
