"""Users, roles and web sessions: who may open which page of the web app.

``roles`` (:class:`~centralino.core.auth.roles.Role` as a set of
:class:`~centralino.core.auth.roles.Permission`), ``models`` (the ``users`` and ``web_sessions``
tables), ``passwords`` (argon2, in its own bounded pool), ``service`` (add, authenticate,
disable), ``cli`` (``centralino users``), and for the web app ``access`` (sign-in by default,
``@public``), ``web`` (login, logout, :func:`~centralino.core.auth.web.current_user`),
``web_sessions`` (server-side sessions), ``live`` (streams that re-check their user), ``csrf``
and ``throttle`` (failed logins per address).
"""
