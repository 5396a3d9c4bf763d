"""Render records as Front's JSON shapes (core-api.json ``#/components/schemas/*Response``).

All links use the company host (``link_base``), like Front's ``<company>.api.frontapp.com``. Message and
comment content is derived from the record's ``seed``, deterministically, so it is never stored. Nulls
appear where Front sends them: inbound ``author``, ``text`` outside e-mail, some recipient ``name``s.
One ``Renderer`` per state; its methods come in families, one module each, and call across families.
"""

from __future__ import annotations

from front_simulator.render.contacts import ContactRenderer
from front_simulator.render.conversations import ConversationRenderer
from front_simulator.render.directory import DirectoryRenderer
from front_simulator.render.events import EventRenderer
from front_simulator.render.messages import MessageRenderer


class Renderer(DirectoryRenderer, ContactRenderer, ConversationRenderer, MessageRenderer, EventRenderer):
    """Turns records of a ``Dataset`` into API dicts; one method per response schema."""


__all__ = ["Renderer"]
