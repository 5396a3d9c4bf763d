"""Generation of contacts (the largest paginated resource) and accounts (the companies contacts work for)."""

from __future__ import annotations

import random

from front_simulator import words
from front_simulator.data import SEED_END, SEED_START, Generator, ascii_slug, person_name, pick, stamp
from front_simulator.model import Account, Contact

# (odds, handle format, source): a contact's handles, drawn in this order
HANDLE_ODDS = (
    (0.92, "{local}@{domain}", "email"),
    (0.35, "+1{phone}", "phone"),
    (0.08, "@{twitter}{number}", "twitter"),
    (0.04, "ext-{number}", "custom"),
    (0.03, "chat-{number}", "front_chat"),
    (0.02, "ic-{number}", "intercom"),
    (0.02, "fb-{number}", "facebook"),
)


def handles(rng: random.Random, local: str, domain: str, number: int) -> list[tuple[str, str]]:
    """(handle, source) pairs, unique per contact number; at least an e-mail address."""
    values = {
        "local": local,
        "domain": domain,
        "number": number,
        "phone": 2_000_000_000 + number * 7 + 1_000_003,
        "twitter": local.replace(".", "_")[:14],
    }
    out = [(fmt.format(**values), source) for odds, fmt, source in HANDLE_ODDS if rng.random() < odds]
    return out or [(f"{local}@{domain}", "email")]


def contacts(gen: Generator) -> None:
    rng = gen.rng("contacts")
    data = gen.data
    list_ids = list(data.simple.get("contact_lists", {}))
    fields = data.fields_of("contact")
    teammate_ids = list(data.teammates)
    span = SEED_END - SEED_START
    for number in range(gen.size("contacts")):
        contact_id = data.next_id("crd")
        full, first, last = person_name(rng)
        domain = pick(rng, words.DOMAINS)
        contact_handles = handles(rng, f"{ascii_slug(first)}.{ascii_slug(last)}.{number}", domain, number)
        created_at = stamp(rng, SEED_START, SEED_START + span * 0.9)
        updated_at = created_at if rng.random() < 0.3 else stamp(rng, created_at, SEED_END)
        is_private = bool(teammate_ids) and rng.random() < 0.04
        contact = Contact(
            id=contact_id,
            name=full,
            description=""
            if rng.random() < 0.7
            else f"{pick(rng, words.COMPANIES)} — "
            + " ".join(pick(rng, words.WORDS) for _ in range(rng.randrange(2, 12))),
            avatar_url=f"avatar-{int(created_at * 1000)}",
            links=[f"https://{domain}/{ascii_slug(last)}"] if rng.random() < 0.2 else [],
            handles=contact_handles,
            list_ids=sorted(rng.sample(list_ids, k=min(len(list_ids), pick(rng, (0, 0, 1, 1, 2))))) if list_ids else [],
            custom_fields={f.name: gen.field_value(rng, f) for f in fields if rng.random() < 0.5},
            is_private=is_private,
            owner_id=pick(rng, teammate_ids) if is_private else None,
            created_at=created_at,
            updated_at=updated_at,
        )
        data.contacts[contact_id] = contact


def account_name(rng: random.Random, number: int) -> str:
    """A company name, unique per account number (Front requires unique account names)."""
    base = words.COMPANIES[number % len(words.COMPANIES)]
    if number < len(words.COMPANIES):
        return base
    return f"{base} {pick(rng, words.ACCOUNT_SUFFIXES)} {number // len(words.COMPANIES) + 1}"


def new_account(gen_rng: random.Random, account_id: str, number: int, created_at: float) -> Account:
    """One account; some have no description, logo or external id (null in the API), a few several domains."""
    name = account_name(gen_rng, number)
    slug = ascii_slug(name)
    domains = [f"{slug}{number}.example"]
    if gen_rng.random() < 0.2:
        domains.append(f"{slug}{number}.{pick(gen_rng, ('com', 'io', 'de', 'fr'))}")
    return Account(
        id=account_id,
        name=name,
        description=None if gen_rng.random() < 0.4 else f"{name} — {pick(gen_rng, words.WORDS)} customer",
        domains=domains,
        external_id=None if gen_rng.random() < 0.5 else str(8_700_000_000 + number * 37),
        logo=None if gen_rng.random() < 0.6 else f"logo-{int(created_at * 1000)}",
        custom_fields={},
        created_at=created_at,
        updated_at=created_at,
    )


def accounts(gen: Generator) -> None:
    rng = gen.rng("accounts")
    data = gen.data
    fields = data.fields_of("account")
    for number in range(gen.size("accounts")):
        created_at = stamp(rng, SEED_START, SEED_END - 86_400 * 30)
        account = new_account(rng, data.next_id("acc"), number, created_at)
        account.updated_at = created_at if rng.random() < 0.3 else stamp(rng, created_at, SEED_END)
        account.custom_fields = {f.name: gen.field_value(rng, f) for f in fields if rng.random() < 0.6}
        data.accounts[account.id] = account
