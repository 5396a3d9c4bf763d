"""Front-style resource ids (``crd_3cgz4ge``): a type prefix plus a base-36 number, deterministic per seed."""

_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"

# Offsets make ids of different types look unrelated and several characters long, like Front's.
_OFFSETS = {
    "cmp": 46_000,
    "crd": 60_466_176,
    "grp": 1_679_616,
    "tag": 2_176_782,
    "inb": 46_656,
    "tea": 50_000,
    "tim": 1_300,
    "cha": 47_000,
    "fld": 48_000,
    "cnv": 2_176_782_336,
    "msg": 2_821_109_907_456,
    "com": 60_466_176,
    "evt": 78_364_164_096,
    "fil": 2_176_782_336,
    "top": 1_679_616,
    "sig": 46_656,
    "rul": 46_656,
    "sts": 1_296,
}


_PAIRS = tuple(a + b for a in _DIGITS for b in _DIGITS)  # two base-36 digits per step: ids are hot


def base36(number: int) -> str:
    """Encode a non-negative integer in lower-case base 36."""
    if number < 36:
        return _DIGITS[number]
    out = []
    while number >= 1296:
        number, rem = divmod(number, 1296)
        out.append(_PAIRS[rem])
    out.append(_PAIRS[number] if number >= 36 else _DIGITS[number])
    return "".join(reversed(out))


def make_id(prefix: str, number: int) -> str:
    """The id of the ``number``-th resource of a type (injective per prefix; numerically increasing)."""
    spread = (number * 7_919 + 3_571) % 1_000_003 + number * 1_000_003
    return f"{prefix}_{base36(_OFFSETS.get(prefix, 36_000) + spread)}"


def id_number(prefix: str, resource_id: str) -> int | None:
    """Invert ``make_id``: the number behind an id of the given type, or None if it is not one of ours."""
    head, _, tail = resource_id.partition("_")
    if head != prefix or not tail or not tail.isalnum():
        return None
    try:
        value = int(tail, 36) - _OFFSETS.get(prefix, 36_000)
    except ValueError:
        return None
    number = value // 1_000_003
    return number if number >= 0 and make_id(prefix, number) == resource_id else None
