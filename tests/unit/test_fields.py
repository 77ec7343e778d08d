from __future__ import annotations

import pytest

from dsr.domain.errors import ConfigError
from dsr.security.fields import BlindIndex, DecryptionError, FieldCipher
from dsr.settings import new_encryption_key


def test_round_trip_and_no_plaintext_in_the_ciphertext() -> None:
    cipher = FieldCipher.from_config(new_encryption_key())
    sealed = cipher.encrypt("subject.name", "Erika Mustermann")
    assert sealed is not None and "Erika" not in sealed
    assert sealed != cipher.encrypt("subject.name", "Erika Mustermann")  # random nonce
    assert cipher.decrypt("subject.name", sealed) == "Erika Mustermann"
    assert cipher.encrypt("subject.name", None) is None


def test_a_ciphertext_moved_to_another_field_does_not_open() -> None:
    cipher = FieldCipher.from_config(new_encryption_key())
    sealed = cipher.encrypt("subject.name", "Erika")
    with pytest.raises(DecryptionError):
        cipher.decrypt("subject.email", sealed)


def test_tampered_ciphertext_does_not_open() -> None:
    cipher = FieldCipher.from_config(new_encryption_key())
    sealed = cipher.encrypt("subject.name", "Erika")
    assert sealed is not None
    flipped = sealed[:-3] + ("A" if sealed[-3] != "A" else "B") + sealed[-2:]
    with pytest.raises(DecryptionError):
        cipher.decrypt("subject.name", flipped)


def test_rotation_keeps_old_ciphertexts_readable() -> None:
    old_key = new_encryption_key()
    old = FieldCipher.from_config(old_key)
    sealed_before = old.encrypt("subject.email", "erika@example.org")
    rotated = FieldCipher.from_config(f"{new_encryption_key()},{old_key}")
    assert rotated.decrypt("subject.email", sealed_before) == "erika@example.org"
    assert rotated.needs_rotation(sealed_before)
    sealed_after = rotated.encrypt("subject.email", "erika@example.org")
    assert not rotated.needs_rotation(sealed_after)
    with pytest.raises(DecryptionError):  # the old key alone cannot read new ciphertexts
        old.decrypt("subject.email", sealed_after)


@pytest.mark.parametrize("spec", ["", "nokey", "k1:not-base64!!", "k1:c2hvcnQ=", "k 1:" + "A" * 43])
def test_bad_key_configuration_is_refused(spec: str) -> None:
    with pytest.raises(ConfigError):
        FieldCipher.from_config(spec)


def test_blind_index_matches_equal_values_only_and_depends_on_the_key() -> None:
    index = BlindIndex.from_config("a-long-enough-hmac-key")
    assert index("email", "erika@example.org") == index("email", "erika@example.org")
    assert index("email", "erika@example.org") != index("email", "erik@example.org")
    assert index("email", "K100") != index("customer_number", "K100")
    other = BlindIndex.from_config("another-long-hmac-key")
    assert index("email", "erika@example.org") != other("email", "erika@example.org")
    assert index("email", None) is None
