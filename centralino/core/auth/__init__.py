"""Users, roles and web sessions: who may open which page of the web app.

``models`` (the ``users`` table and :class:`~centralino.core.auth.models.Role`), ``passwords``
(argon2), ``service`` (add, authenticate, disable), ``cli`` (``centralino users``), and for the
web app ``web`` (login, logout, :func:`~centralino.core.auth.web.current_user`), ``csrf`` and
``throttle`` (failed logins).
"""
