"""Realistic Flex values drawn from a given ``random.Random``: the one source of realistic data.

The mock draws its seeding defaults here through its own seeded generator, and the Faker provider
draws the same values through Faker's generator, so ``seed_instance`` reproduces them. Word lists,
not Faker formatters: seeding many channels must stay cheap.
"""

from __future__ import annotations

import json
import random
import unicodedata
from typing import Any

FIRST_NAMES = (
    "Ada", "Bola", "Chen", "Dara", "Elif", "Femi", "Grace", "Hiro", "Inès", "Jonas", "Kavya",
    "Luis", "Maya", "Noor", "Omar", "Priya", "Quinn", "Rosa", "Søren", "Tariq", "Uma", "Vera",
    "Wei", "Xóchitl", "Yusuf", "Zoë", "Amara", "Björn", "Chiara", "Dmitri", "Esther", "Fatima",
)  # fmt: skip
LAST_NAMES = (
    "Adeyemi", "Bauer", "Costa", "Dubois", "Eriksen", "Fischer", "García", "Haddad", "Ito",
    "Jensen", "Kowalski", "López", "Moreau", "Nakamura", "Okafor", "Petrov", "Rossi", "Silva",
    "Tanaka", "Umarov", "Varga", "Wójcik", "Yılmaz",  # noqa: RUF001 (a Turkish dotless i)
    "Zhang", "O'Brien", "Nguyễn", "Kim", "Müller",
)  # fmt: skip
QUESTIONS = (
    "Where is my order?",
    "I need to change my delivery address.",
    "Can I get a refund for my last purchase?",
    "My card was charged twice.",
    "How do I reset my password?",
    "Is this item back in stock?",
    "I'd like to cancel my subscription.",
    "The app keeps logging me out.",
)
# What agents answer.
REPLIES = (
    "Thanks for reaching out! Let me look into that for you.",
    "I can see your order here: it ships today.",
    "I've issued the refund; it should appear in 3-5 business days.",
    "Could you confirm the email address on your account?",
    "Is there anything else I can help you with?",
)


def message_body(rng: random.Random) -> str:
    """A chat message as customers and agents write them."""
    return rng.choice(QUESTIONS + REPLIES)


# Domains reserved for documentation and tests (RFC 2606): never a real mailbox.
EMAIL_DOMAINS = ("example.com", "example.org", "example.net")


# Every full name made once (and its chat name, below): seeded channels then share the strings.
NAMES = tuple(f"{first} {last}" for first in FIRST_NAMES for last in LAST_NAMES)


def _name_index(rng: random.Random) -> int:
    return int(rng.random() * len(NAMES))


def person_name(rng: random.Random) -> str:
    return NAMES[_name_index(rng)]


def phone_number(rng: random.Random) -> str:
    """An E.164 number in the North American 555-01xx range, reserved for fiction."""
    return f"+1{rng.randrange(200, 1000)}55501{rng.randrange(100):02d}"


def whatsapp_address(rng: random.Random) -> str:
    return f"whatsapp:{phone_number(rng)}"


def target(rng: random.Random) -> str:
    """A contact address as Flex targets it: an E.164 number or a ``whatsapp:`` address."""
    return phone_number(rng) if rng.random() < 0.5 else whatsapp_address(rng)


def identity(rng: random.Random, channel_type: str = "web") -> str:
    """A chat identity shaped like the channel type's (the contact's address for messaging)."""
    if channel_type == "sms":
        return phone_number(rng)
    if channel_type == "whatsapp":
        return whatsapp_address(rng)
    if channel_type == "facebook":
        return f"messenger:{rng.randrange(10**15, 10**16)}"
    if channel_type == "line":
        return f"line:U{rng.getrandbits(128):032x}"
    return f"{channel_type}-{rng.getrandbits(48):012x}"


def chat_friendly_name(name: str) -> str:
    return f"Chat with {name}"


CHAT_NAMES = tuple(chat_friendly_name(name) for name in NAMES)


def email(rng: random.Random, name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    local = ".".join(part for part in ascii_name.lower().replace("'", "").split() if part)
    return f"{local or 'customer'}@{rng.choice(EMAIL_DOMAINS)}"


def pre_engagement_data(rng: random.Random, name: str | None = None) -> str:
    """The JSON text a webchat pre-engagement form sends: friendly name, email, question."""
    name = name or person_name(rng)
    return json.dumps(
        {"friendly_name": name, "email": email(rng, name), "question": rng.choice(QUESTIONS)},
        ensure_ascii=False,
    )


def task_attributes(rng: random.Random, name: str | None = None, channel_type: str = "web") -> str:
    """TaskRouter task attributes as JSON text."""
    name = name or person_name(rng)
    attributes = {"name": name, "channelType": channel_type, "priority": rng.randrange(0, 10)}
    return json.dumps(attributes, ensure_ascii=False)


def fill_channel_defaults(fields: dict[str, Any], rng: random.Random, channel_type: str) -> None:
    """Give ``fields`` (create fields by Python name) an identity, names and a target shaped for
    a flow of ``channel_type`` where they have none. An explicit ``target=None`` stays None."""
    index = _name_index(rng)
    if fields.get("identity") is None:
        fields["identity"] = identity(rng, channel_type)
    if fields.get("chat_user_friendly_name") is None:
        fields["chat_user_friendly_name"] = NAMES[index]
    if fields.get("chat_friendly_name") is None:
        fields["chat_friendly_name"] = CHAT_NAMES[index]
    if "target" not in fields:
        messaging = channel_type in ("sms", "whatsapp")
        fields["target"] = fields["identity"] if messaging else NAMES[index]
