"""Word families the stemmer leaves apart: a question's verb and a report's noun for one thing.

Snowball strips inflections ("invaded" -> "invad"), not derivations, so "When did Russia invade?"
shared no term with "Russia launched a full-scale invasion" ("invas") and a passage that said
"invading" in passing won on its terms.  The Latinate verb/noun pairs of English differ at the end of
their stems in a few regular ways (invade/invasion, respond/response, defend/defence, admit/admission,
receive/reception, describe/description, assume/assumption, produce/production, resolve/resolution),
and die/death/dead is one family.  ``relatives`` gives the stems a stem may stand for; a caller keeps
those its corpus holds.
"""

from __future__ import annotations

# (end of one stem, end of its relative), read both ways.  Before an ending of one or two letters the
# shared beginning must be MIN_SHARED letters long, so short stems ("raid", "fund") never pair with
# unrelated words ("rais", "funs"); a longer ending ("admit"/"admiss") says enough by itself.
ENDINGS = (("d", "s"), ("nd", "nc"), ("mit", "miss"), ("ceiv", "cept"), ("b", "pt"), ("m", "mpt"), ("uc", "uct"), ("olv", "olut"))
MIN_SHARED = 4
MIN_SHARED_LONG_ENDING = 2
FAMILIES = (frozenset({"die", "death", "dead"}),)


def relatives(stem: str) -> frozenset[str]:
    """The stems of words of ``stem``'s family, by the regular endings and the irregular families (not
    ``stem`` itself; whether a corpus holds them is the caller's question)."""
    found: set[str] = set()
    for one, other in ENDINGS:
        for end, replacement in ((one, other), (other, one)):
            shared = MIN_SHARED if len(end) <= 2 else MIN_SHARED_LONG_ENDING
            if stem.endswith(end) and len(stem) - len(end) >= shared:
                found.add(stem[: len(stem) - len(end)] + replacement)
    for family in FAMILIES:
        if stem in family:
            found |= family
    found.discard(stem)
    return frozenset(found)
