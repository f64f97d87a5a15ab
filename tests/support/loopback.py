"""What every test DNS server on loopback offers: where to reach it, in the forms the code takes."""

from __future__ import annotations


class LoopbackServer:
    host: str = "127.0.0.1"
    port: int = 0

    @property
    def address(self) -> str:
        """``"127.0.0.1:PORT"``, the form ``MAILFLOW_NAMESERVERS`` takes."""
        return f"{self.host}:{self.port}"

    @property
    def nameservers(self) -> list[tuple[str, int]]:
        """``[(host, port)]``, the form ``macros.resolve.Resolver`` takes."""
        return [(self.host, self.port)]
