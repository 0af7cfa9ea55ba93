"""Users of the web app: their table and ``centralino users`` (the web sign-in itself is
installed by :func:`centralino.core.web.create_web_app`)."""

from __future__ import annotations

from centralino.core.auth import models
from centralino.core.auth.cli import app as users_app
from centralino.core.domain import CliGroup, Plugin

PLUGIN = Plugin("users", models=(models,), commands=(
    CliGroup("users", users_app, "Users of the web app and their roles."),))
