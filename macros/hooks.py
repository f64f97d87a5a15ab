"""MkDocs hooks: add the generated pages (the domain index and one page per checked domain),
give each domain page its title, and put into each page the HTML blocks the macros kept out of
Markdown (``site.State.stash``).

Hooks run after plugins, so mkdocs-macros' ``on_config`` (``define_env``) has already put this
build's state on its plugin instance; the hooks read it from ``config.plugins`` and import nothing
of the project (MkDocs loads this file by path, outside any package).
"""

from __future__ import annotations

from mkdocs.structure.files import File, Files

#: macros/site.py's STATE_ATTR: the mkdocs-macros plugin attribute holding the build's state.
STATE_ATTR = "mailflow_state"


def _state(config):
    plugin = config.plugins.get("macros")
    return getattr(plugin, STATE_ATTR, None)


def on_files(files: Files, config) -> Files:
    state = _state(config)
    if state is None:
        return files
    for src_uri, generated in state.pages.items():
        existing = files.get_file_from_path(src_uri)
        if existing is not None:
            files.remove(existing)
        files.append(File.generated(config, src_uri, content=generated.markdown))
    return files


def on_pre_page(page, config, files):
    """A domain page's title is its name reduced to letters, digits and ``.-_`` (pages.py):
    never front matter, which the theme would print unescaped."""
    state = _state(config)
    generated = state.pages.get(page.file.src_uri) if state is not None else None
    if generated is not None and generated.title is not None:
        page.title = generated.title
    return page


def on_page_content(html, page, config, files):
    """Put the HTML blocks the macros kept out of Markdown into the page (site.State.stash),
    except those the search index leaves out anyway."""
    state = _state(config)
    return state.unstash(html) if state is not None else html


def on_post_page(output, page, config):
    """After the search index has read the page: put in the search-excluded blocks."""
    state = _state(config)
    return state.unstash(output, late=True) if state is not None else output
