"""The work-order service: ``WorkOrders``, the one object the rest of the code uses (webapp/services.py builds
it; the views, the bot's actions, the WeChat channels and sync/ call it).

It is put together from one class per part, each in its own module:

- orders.py     ``OrderLifecycle``: creation, reading, the lifecycle actions (the table in lifecycle.py),
                the province review and an order's attachment records
- callers.py    ``CallerAccess``: look-up and rating by the caller (throttled), a channel user's own orders
- units.py      ``UnitDirectory``: the handling units and routing an order to them
- calendar.py   ``WorkingDays``: the working-day calendar the deadlines count on, with its overrides

The uploaded files are in attachments.py (``AttachmentStore``), the errors in errors.py. No Flask and no Rasa
here. Callers pass a ``viewer`` (accounts.Principal, or None for the public) and, in tests, ``now`` to freeze
the clock.
"""

from __future__ import annotations

from hotline.db import Database
from hotline.throttle import Throttle

from .calendar import WorkingDays
from .callers import CallerAccess
from .orders import OrderLifecycle
from .units import UnitDirectory


class System:
    """The actor of scheduled jobs and of orders created by channels."""

    def __init__(self, name: str = "system"):
        self.username = name
        self.roles = ("system",)
        self.unit_id = None
        self.region = ""

    def has(self, *roles: str) -> bool:
        return True


class WorkOrders(OrderLifecycle, CallerAccess, UnitDirectory, WorkingDays):
    """The work-order service: its parts (see the module docstring) share the state set up here."""

    def __init__(self, db: Database, callback_sample_rate: float = 0.3):
        self.db = db
        self.callback_sample_rate = callback_sample_rate
        self.throttle = Throttle(db)  # the callers' look-up; its clock is the default of lookup() and rate()
        self.unknown_years: set[int] = set()
        # called as listener(session, order, event) inside the transaction of every creation and action, e.g.
        # by sync/ to write its outbox to 12345 atomically with the change
        self.listeners: list = []
