"""Jinja2 templates with translations, shared by every domain's pages."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import HTMLResponse

from healthcard.core.context import locale_var
from healthcard.core.i18n import LOCALES, gettext_, ngettext_

TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "templates"
DISPLAY_ZONE = ZoneInfo("Asia/Shanghai")

_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
    autoescape=jinja2.select_autoescape(default=True),
    extensions=["jinja2.ext.i18n", "jinja2.ext.do"],
)
_env.install_gettext_callables(gettext_, ngettext_, newstyle=True)  # type: ignore[attr-defined]
templates = Jinja2Templates(env=_env)


def _local_time(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
    """Show an instant in China Standard Time, as staff read it."""
    if value is None:
        return ""
    return value.astimezone(DISPLAY_ZONE).strftime(fmt)


templates.env.filters["local_time"] = _local_time
# `value|t` translates a string that comes from data (role names, menu labels marked with N_):
# unlike `_()`, it never applies %-formatting, so a "%" typed by an administrator is harmless.
templates.env.filters["t"] = gettext_
templates.env.globals["LOCALES"] = LOCALES


def render(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """Render a template with the caller, the locale and the navigation in its context."""
    values: dict[str, Any] = {
        "principal": getattr(request.state, "principal", None),
        "locale": locale_var.get(),
        "nav": navigation_for(request),
    }
    values.update(context or {})
    return templates.TemplateResponse(
        request, name, values, status_code=status_code, headers=headers
    )


# Navigation entries by url: (order, section, label, permission). Domains add theirs at import
# with add_nav(); the menu shows an entry only to principals holding its permission.
_NAV: dict[str, tuple[int, str, str, str]] = {}


def add_nav(section: str, label: str, url: str, permission: str, *, order: int = 100) -> None:
    """Register a console menu entry shown to holders of ``permission`` (sorted by ``order``)."""
    _NAV[url] = (order, section, label, permission)


def navigation_for(request: Request) -> list[tuple[str, list[tuple[str, str]]]]:
    """The menu of the current principal, grouped by section, in registration order."""
    principal = getattr(request.state, "principal", None)
    if principal is None:
        return []
    sections: dict[str, list[tuple[str, str]]] = {}
    for url, (_, section, label, permission) in sorted(_NAV.items(), key=lambda item: item[1][0]):
        if principal.has(permission):
            sections.setdefault(section, []).append((label, url))
    return list(sections.items())


# Panels another domain adds to a page it does not own (the e-card link on a resident's page):
# the page's domain cannot import the other (the layers forbid it), so the other registers a
# loader at import; the loader answers the panel's context, or None to show nothing.
PanelLoader = Callable[[Request, Any, int], dict[str, Any] | None]
_PANELS: dict[str, list[tuple[str, PanelLoader]]] = {}


def add_panel(page: str, template: str, loader: PanelLoader) -> None:
    """Show ``template`` on ``page`` (e.g. "person") with the context ``loader`` answers."""
    _PANELS.setdefault(page, []).append((template, loader))


def panels_for(page: str, request: Request, session: Any, subject_id: int) -> list[dict[str, Any]]:
    """The panels to show on ``page`` about ``subject_id``: each a context with a ``template``."""
    shown = []
    for template, loader in _PANELS.get(page, []):
        context = loader(request, session, subject_id)
        if context is not None:
            shown.append({"template": template, **context})
    return shown
