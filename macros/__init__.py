"""mkdocs-macros entry point: a thin adapter over the engine (see macros/site.py).

mkdocs-macros imports this package (``module_name: macros``) and calls ``define_env``;
the engine modules (resolve, checks, spf, drift, ...) never import MkDocs, so the MkDocs
side is imported only here, when mkdocs-macros asks for it.
"""


def define_env(env):
    from .site import define_env as _define_env

    _define_env(env)


def on_post_build(env):
    from .site import on_post_build as _on_post_build

    _on_post_build(env)
