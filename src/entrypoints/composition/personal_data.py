"""The personal-data cipher from the settings: a module of its own because the migrations
need it too (`croupier db upgrade`), and they should not import the whole infrastructure."""

from __future__ import annotations

from adapters.personal_data import PersonalDataCipher, development_keys
from entrypoints.settings import Settings
from entrypoints.settings.keys import parse_index_key, parse_key_ring


def personal_data_cipher(settings: Settings) -> PersonalDataCipher:
    """The configured personal-data keys; a development install keeps generated ones in its
    data folder (production refuses to start without them)."""
    ring, index = settings.pii_keys, settings.pii_index_key
    if ring is None or index is None:
        generated_ring, generated_index = development_keys(settings.data_dir.resolve())
        ring, index = ring or generated_ring, index or generated_index
    current, keys = parse_key_ring(ring)
    return PersonalDataCipher(current, keys, parse_index_key(index))
