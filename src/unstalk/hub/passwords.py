"""Password hashing with argon2id."""

from __future__ import annotations

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from unstalk.hub.errors import InvalidInput

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024


class Passwords:
    """Hashes and checks passwords; the cost is configurable so tests stay fast."""

    def __init__(
        self, *, time_cost: int = 3, memory_kib: int = 65536, parallelism: int = 4
    ) -> None:
        self._hasher = PasswordHasher(
            time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism, type=Type.ID
        )
        # Compared against when the account does not exist, so a wrong e-mail address takes
        # as long to refuse as a wrong password and does not reveal who has an account.
        self._decoy = self._hasher.hash("decoy password never used")

    def hash(self, password: str) -> str:
        check_strength(password)
        return self._hasher.hash(password)

    def verify(self, stored_hash: str | None, password: str) -> bool:
        """Whether ``password`` matches; ``None`` burns the same time and answers False."""
        try:
            self._hasher.verify(stored_hash or self._decoy, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
        return stored_hash is not None

    def needs_rehash(self, stored_hash: str) -> bool:
        return self._hasher.check_needs_rehash(stored_hash)


def check_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            f"The password is too short: use at least {MIN_PASSWORD_LENGTH} characters.",
            advice="A few unrelated words make a long password that is easy to remember.",
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidInput(f"The password is longer than {MAX_PASSWORD_LENGTH} characters.")
