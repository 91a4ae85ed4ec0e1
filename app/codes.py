"""The codes Qinzi stores for what a person chose or a record's state: ASCII words in the
database, words in the person's language on the screens (the catalog's `level.*`,
`relationship.*`, `status.*`). Apart from the models so that a screen can name them without
loading the database driver (a kiosk's first frame waits for none, issue 7)."""

from __future__ import annotations

from enum import StrEnum


class Level(StrEnum):
    """School levels of R6, in the order the kiosk offers them."""

    ELEMENTARY = "elementary"  # 國小
    JUNIOR = "junior"  # 國中
    SENIOR = "senior"  # 高中
    VOCATIONAL = "vocational"  # 高職
    SPECIAL = "special"  # 特教


class Relationship(StrEnum):
    """R5: the two legal representatives (法定代理人) and the guardians (監護人)."""

    FATHER = "father"
    MOTHER = "mother"
    GRANDFATHER = "grandfather"
    GRANDMOTHER = "grandmother"
    MATERNAL_GRANDFATHER = "maternal_grandfather"
    MATERNAL_GRANDMOTHER = "maternal_grandmother"
    OTHER = "other"

    @property
    def is_legal_representative(self) -> bool:
        return self in (Relationship.FATHER, Relationship.MOTHER)


class Status(StrEnum):
    PENDING = "pending"  # 申請
    APPROVED = "approved"  # 認證
    REJECTED = "rejected"  # 不通過
    CANCELLED = "cancelled"  # by the parent (trash icon)
    VOIDED = "voided"  # by 註銷全部紀錄


class Channel(StrEnum):
    EMAIL = "email"
    SMS = "sms"
