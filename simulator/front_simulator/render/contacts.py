"""Renderers of contacts and accounts (core-api.json ``ContactResponse``, ``AccountResponse``)."""

from __future__ import annotations

from typing import Any

from front_simulator.model import Account, Contact
from front_simulator.render.base import RendererBase


class ContactRenderer(RendererBase):
    def contact(self, contact: Contact) -> dict[str, Any]:
        b = self.base
        related = {
            "notes": f"{b}/contacts/{contact.id}/notes",
            "conversations": f"{b}/contacts/{contact.id}/conversations",
        }
        if contact.owner_id:
            related["owner"] = f"{b}/teammates/{contact.owner_id}"
        known = self.data.simple.get("contact_lists", {})
        lists = [known[i].render(b, "/contact_lists") for i in contact.list_ids if i in known]
        return {
            "_links": {"self": f"{b}/contacts/{contact.id}", "related": related},
            "id": contact.id,
            "name": contact.name,
            "description": contact.description,
            "avatar_url": f"{b}/contacts/{contact.id}/{contact.avatar_url}",
            "links": list(contact.links),
            "handles": [{"handle": h, "source": s} for h, s in contact.handles],
            "groups": lists,
            "lists": lists,
            "custom_fields": dict(contact.custom_fields),
            "is_private": contact.is_private,
            "updated_at": contact.updated_at,
        }

    def contact_link(self, contact_id: str | None) -> str | None:
        """Recipient contact link: the survivor after a merge, null once the contact is deleted."""
        seen = 0
        while contact_id and seen < 10:
            contact = self.data.contacts.get(contact_id)
            if contact is None:
                return None
            if not contact.deleted:
                return f"{self.base}/contacts/{contact.id}"
            contact_id = contact.merged_into
            seen += 1
        return None

    def account(self, account: Account) -> dict[str, Any]:
        b = self.base
        return {
            "_links": {
                "self": f"{b}/accounts/{account.id}",
                "related": {"contacts": f"{b}/accounts/{account.id}/contacts"},
            },
            "id": account.id,
            "name": account.name,
            "logo_url": f"{b}/accounts/{account.id}/{account.logo}" if account.logo else None,
            "description": account.description,
            "domains": list(account.domains),
            "external_id": account.external_id,
            "custom_fields": dict(account.custom_fields),
            "created_at": account.created_at,
            "updated_at": account.updated_at,
        }
