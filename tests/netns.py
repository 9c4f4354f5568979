"""Several hosts on one machine: a network namespace per host, joined to a bridge in the
root namespace by a veth pair. The bridge's own address is the "infrastructure" host
(PostgreSQL, Redis, the SIP peers listen there); a host's link can be cut (its veth set
down: packets vanish, nothing is closed) and restored.

Names carry a tag from the test process's id, so two runs on one machine never meet."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass

IP_TIMEOUT_S = 10


def ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=IP_TIMEOUT_S)


@dataclass(frozen=True)
class Host:
    name: str
    namespace: str
    veth: str  # the root namespace's end of the host's link
    address: str

    def argv(self, command: list[str]) -> list[str]:
        """``command`` run inside this host (ip netns exec keeps the process id and env)."""
        return ["ip", "netns", "exec", self.namespace, *command]

    def cut(self) -> None:
        ip("link", "set", "dev", self.veth, "down")

    def restore(self) -> None:
        ip("link", "set", "dev", self.veth, "up")


@dataclass(frozen=True)
class Network:
    bridge: str
    address: str  # the bridge's: the infrastructure host
    hosts: list[Host]


def _subnet() -> str:
    pid = os.getpid()
    return f"10.{200 + pid % 50}.{pid // 50 % 250}"


@contextmanager
def network(count: int) -> Iterator[Network]:
    """``count`` hosts on a bridge of their own; all of it is deleted when the block ends."""
    tag = f"{os.getpid() % 0x10000:04x}"
    subnet = _subnet()
    bridge = f"rb{tag}br"
    hosts = [Host(f"host-{k}", f"rb{tag}h{k}", f"rb{tag}v{k}", f"{subnet}.{10 + k}")
             for k in range(1, count + 1)]
    try:
        ip("link", "add", bridge, "type", "bridge")
        ip("addr", "add", f"{subnet}.1/24", "dev", bridge)
        ip("link", "set", bridge, "up")
        for host in hosts:
            ip("netns", "add", host.namespace)
            ip("link", "add", host.veth, "type", "veth", "peer", "name", "eth0",
               "netns", host.namespace)
            ip("link", "set", host.veth, "master", bridge)
            ip("link", "set", host.veth, "up")
            inside = ["-n", host.namespace]
            ip(*inside, "addr", "add", f"{host.address}/24", "dev", "eth0")
            ip(*inside, "link", "set", "eth0", "up")
            ip(*inside, "link", "set", "lo", "up")
        yield Network(bridge, f"{subnet}.1", hosts)
    finally:
        for host in hosts:
            with suppress(subprocess.CalledProcessError):
                ip("netns", "del", host.namespace)
            with suppress(subprocess.CalledProcessError):
                ip("link", "del", host.veth)
        with suppress(subprocess.CalledProcessError):
            ip("link", "del", bridge)
