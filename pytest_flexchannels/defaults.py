"""Realistic values for the create fields a seeding call leaves out."""

from __future__ import annotations

import random

_FIRST = (
    "Ada",
    "Bola",
    "Chen",
    "Dara",
    "Elif",
    "Femi",
    "Grace",
    "Hiro",
    "Ines",
    "Jonas",
    "Kavya",
    "Luis",
    "Maya",
    "Noor",
    "Omar",
    "Priya",
    "Quinn",
    "Rosa",
    "Sven",
    "Tariq",
    "Uma",
    "Vera",
)
_LAST = (
    "Adeyemi",
    "Bauer",
    "Costa",
    "Dubois",
    "Eriksen",
    "Fischer",
    "Garcia",
    "Haddad",
    "Ito",
    "Jensen",
    "Kowalski",
    "Lopez",
    "Moreau",
    "Nakamura",
    "Okafor",
    "Petrov",
    "Rossi",
    "Silva",
)


def _phone(rng: random.Random) -> str:
    # 555-01xx numbers are reserved for fiction in the North American plan.
    return f"+1{rng.randrange(200, 1000)}55501{rng.randrange(100):02d}"


def channel_defaults(rng: random.Random, channel_type: str) -> dict[str, str]:
    """Identity, names and target for a channel of a flow of ``channel_type``."""
    name = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
    if channel_type == "sms":
        identity = target = _phone(rng)
    elif channel_type == "whatsapp":
        identity = target = f"whatsapp:{_phone(rng)}"
    else:
        identity = f"{channel_type}-{rng.getrandbits(48):012x}"
        target = name
    return {
        "identity": identity,
        "chat_user_friendly_name": name,
        "chat_friendly_name": f"Chat with {name}",
        "target": target,
    }
