"""Shared fixtures. Each DNS server lives in its own module under tests/support/."""

pytest_plugins = [
    "tests.support.fakedns",
    "tests.support.bind",
    "tests.support.https",
]
