"""MkDocs side of the product (temporary skeleton; replaced by the real adapter)."""

from markupsafe import Markup


def define_env(env):
    def _placeholder(*args, **kwargs):
        return Markup('<div class="mf-block">Live checks are not wired yet.</div>')

    for name in ("domain_checks", "record_set", "spf_tree", "scenario_status",
                 "domains_table", "drift_report", "checks_banner"):
        env.macro(_placeholder, name)


def on_post_build(env):
    pass
