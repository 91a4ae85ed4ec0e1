"""Fictional people and applications for the seed and the demo: names, checksum-valid ID numbers,
mobiles, e-mails, application numbers, and a bulk writer that stores applications with everything
an approval leaves behind (account, binding, audit trail), straight through the models.

Nothing here is real: every generator draws from a seeded `random.Random`, so a run can be
repeated exactly. ID numbers never reach the database in plain text (R23)."""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import accumulate

from app.i18n import DEFAULT_LANGUAGE
from app.identity import LETTER_CODES, id_digest, mask_id, with_check_digit
from app.models import Account, Application, AuditEvent, Binding, Status
from app.services.audit import contact_actor, teacher_actor
from app.services.bulk import bulk_insert, id_map
from app.services.contacts import contact_digest
from app.services.context import Context
from app.services.kiosk import content_sha256

# The most common surnames in Taiwan, roughly by frequency, with a romanisation for e-mails.
SURNAMES = (
    ("陳", "chen", 110), ("林", "lin", 83), ("黃", "huang", 60), ("張", "chang", 53),
    ("李", "lee", 51), ("王", "wang", 41), ("吳", "wu", 40), ("劉", "liu", 32), ("蔡", "tsai", 29),
    ("楊", "yang", 26), ("許", "hsu", 23), ("鄭", "cheng", 19), ("謝", "hsieh", 18),
    ("郭", "kuo", 17), ("洪", "hung", 16), ("曾", "tseng", 14), ("邱", "chiu", 14),
    ("廖", "liao", 13), ("賴", "lai", 13), ("周", "chou", 11), ("徐", "hsu", 11), ("蘇", "su", 11),
    ("葉", "yeh", 10), ("莊", "chuang", 10), ("呂", "lu", 9), ("江", "chiang", 9), ("何", "ho", 8),
    ("蕭", "hsiao", 8), ("羅", "lo", 8), ("高", "kao", 8),
)  # fmt: skip
CHILD_CHARS = "宇恩宸睿翔柏承彥品妤晴芯語彤沛瑜詠歆芸宥禹子涵辰安妍希亞澄昕晨樂謙"
ADULT_CHARS = "志明俊傑建宏淑芬美玲惠雯佳慧文雄信德國華偉豪麗珍秀英雅婷怡君家豐"
DISTRICTS = (
    "中正", "大同", "中山", "松山", "大安", "萬華", "信義", "士林", "北投", "內湖", "南港", "文山",
)  # fmt: skip
STEMS = (
    "和平", "光復", "仁愛", "民生", "建國", "復興", "博愛", "忠孝", "敦化", "長安", "明德", "興雅",
    "永春", "三興", "景美", "木柵", "興隆", "志清", "萬芳", "溪口", "力行", "逸仙", "永安", "吉林",
    "雙園", "東門", "西門", "南門", "北門", "龍山", "太平", "蓬萊", "日新", "延平", "福安", "蘭雅",
    "天母", "士東", "百齡", "雙溪", "湖田", "清江", "文昌", "石牌", "關渡", "大湖", "碧湖", "康寧",
    "南湖", "東湖", "舊莊", "玉成", "成德", "修德", "新生", "中崙", "三民", "健康", "介壽", "金華",
)  # fmt: skip
# Issue 18: each stem as the schools romanise it in their English names (Hanyu Pinyin).
STEMS_EN = dict(zip(STEMS, (
    "Heping", "Guangfu", "Ren-ai", "Minsheng", "Jianguo", "Fuxing", "Bo-ai", "Zhongxiao",
    "Dunhua", "Chang-an", "Mingde", "Xingya", "Yongchun", "Sanxing", "Jingmei", "Muzha",
    "Xinglong", "Zhiqing", "Wanfang", "Xikou", "Lixing", "Yixian", "Yong-an", "Jilin",
    "Shuangyuan", "Dongmen", "Ximen", "Nanmen", "Beimen", "Longshan", "Taiping", "Penglai",
    "Rixin", "Yanping", "Fu-an", "Lanya", "Tianmu", "Shidong", "Bailing", "Shuangxi", "Hutian",
    "Qingjiang", "Wenchang", "Shipai", "Guandu", "Dahu", "Bihu", "Kangning", "Nanhu", "Donghu",
    "Jiuzhuang", "Yucheng", "Chengde", "Xiude", "Xinsheng", "Zhonglun", "Sanmin", "Jiankang",
    "Jieshou", "Jinhua",
), strict=True))  # fmt: skip
REJECT_REASONS = (
    "紙本申請書尚未繳回，請列印後簽名交給導師。",
    "申請人姓名與學校留存資料不符，請洽導師確認。",
    "未附監護或委託證明文件，請補件後重新申請。",
)
OTHER_NOTES = ("姑姑", "舅舅", "阿姨", "叔叔", "寄養家長")
NUMBER_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32 (R31)
_ID_LETTERS = "".join(sorted(LETTER_CODES))
_SURNAME_CUMULATIVE = list(accumulate(w for _, _, w in SURNAMES))


@dataclass
class Parent:
    plain_id: str
    digest: str
    masked: str
    name: str
    email: str
    mobile: str  # +8869XXXXXXXX


@dataclass
class AppSpec:
    """One application to store; `decided_at` is the decision or the closing time."""

    parent: Parent
    student_id: int
    school_id: int
    classroom_id: int
    level: str
    relationship: str
    status: str
    submitted_at: datetime
    decided_at: datetime | None = None
    teacher_id: int | None = None
    note: str | None = None
    reason: str | None = None
    roster_match: bool = False
    by_mobile: bool = False
    lang: str = DEFAULT_LANGUAGE
    terminal: str = "kiosk-1"


class People:
    """Fictional names, unique checksum-valid ID numbers, mobiles and e-mails."""

    def __init__(self, rng: random.Random, keyring, taken_digests: set[str] | None = None) -> None:
        self.rng = rng
        self.keyring = keyring
        self.taken = set(taken_digests or ())
        self.prefixes: set[str] = set()
        self.emails: set[str] = set()

    def surname(self) -> tuple[str, str]:
        name, roman, _ = self.rng.choices(SURNAMES, cum_weights=_SURNAME_CUMULATIVE)[0]
        return name, roman

    def child_name(self, surname: str | None = None) -> str:
        choice = self.rng.choice
        return (surname or self.surname()[0]) + choice(CHILD_CHARS) + choice(CHILD_CHARS)

    def adult_name(self, surname: str | None = None) -> str:
        choice = self.rng.choice
        return (surname or self.surname()[0]) + choice(ADULT_CHARS) + choice(ADULT_CHARS)

    def national_id(self, sex: str) -> tuple[str, str, str]:
        """(plain, digest, masked): sex "1" or "2"; mostly A (Taipei), some other regions."""
        while True:
            letter = "A" if self.rng.random() < 0.7 else self.rng.choice(_ID_LETTERS)
            prefix = f"{letter}{sex}{self.rng.randrange(10**7):07d}"
            if prefix in self.prefixes:
                continue
            self.prefixes.add(prefix)
            plain = with_check_digit(prefix)
            digest = id_digest(self.keyring, plain)
            if digest in self.taken:
                continue
            self.taken.add(digest)
            return plain, digest, mask_id(plain)

    def mobile(self) -> str:
        return f"+8869{self.rng.randrange(10**8):08d}"

    def email(self, roman: str, domain: str = "example.com") -> str:
        while True:
            address = f"{roman}.{self.rng.randrange(10**6):06d}@{domain}"
            if address not in self.emails:
                self.emails.add(address)
                return address

    def parent(self, sex: str, name: str | None = None, mobile: str | None = None) -> Parent:
        surname, roman = self.surname()
        if name:
            roman = next((r for s, r, _ in SURNAMES if s == name[0]), "parent")
        plain, digest, masked = self.national_id(sex)
        domain = self.rng.choice(("example.com", "example.net", "example.org"))
        return Parent(
            plain,
            digest,
            masked,
            name or self.adult_name(surname),
            self.email(roman, domain),
            mobile or self.mobile(),
        )


def application_numbers(rng: random.Random, count: int, taken: set[str]) -> list[str]:
    out: list[str] = []
    while len(out) < count:
        body = "".join(rng.choices(NUMBER_ALPHABET, k=8))
        number = f"QZ-{body[:4]}-{body[4:]}"
        if number not in taken:
            taken.add(number)
            out.append(number)
    return out


def _sha256(number: str, spec: AppSpec, version: str, contact: str, consent_at) -> str:
    """The signature hash exactly as a kiosk submission computes it (kiosk.content_sha256), so a
    teacher opening a synthetic application sees its signature verify."""
    return content_sha256(
        Application(
            number=number,
            student=spec.student_id,
            school=spec.school_id,
            classroom=spec.classroom_id,
            level=spec.level,
            relationship=spec.relationship,
            relationship_note=spec.note,
            parent_id_digest=spec.parent.digest,
            parent_id_masked=spec.parent.masked,
            parent_name=spec.parent.name,
            email=spec.parent.email,
            mobile=spec.parent.mobile,
            contact_digest=contact,
            consent_version=version,
            consent_at=consent_at,
            signed_at=spec.submitted_at,
            terminal_id=spec.terminal,
        )
    )


def _detail(**values: object) -> str:
    """An audit detail as AuditService.record writes it."""
    return json.dumps(values, ensure_ascii=False, sort_keys=True)


@dataclass(frozen=True)
class Written:
    applications: int
    accounts: int
    bindings: int
    audit_events: int


def write_applications(
    ctx: Context,
    specs: Sequence[AppSpec],
    rng: random.Random,
    *,
    initial_hash: Callable[[Parent], str],
    changed_share: float = 0.5,
) -> Written:
    """Store the applications, and for every approved one the account (once per parent), the
    binding and the audit events the real flow would have left (R19, R24). `changed_share` of the
    accounts have already replaced their initial password. Call it inside a transaction."""
    db, settings, keyring = ctx.db, ctx.settings, ctx.keyring
    taken = {n for (n,) in Application.select(Application.number).tuples().iterator()}
    numbers = application_numbers(rng, len(specs), taken)

    first_approval: dict[str, AppSpec] = {}
    for spec in sorted(specs, key=lambda s: s.decided_at or s.submitted_at):
        if spec.status == Status.APPROVED:
            first_approval.setdefault(spec.parent.digest, spec)
    expiry = timedelta(days=settings.initial_password_days)
    accounts = []
    for digest, spec in first_approval.items():
        p, changed = spec.parent, rng.random() < changed_share
        accounts.append(
            (
                p.email,
                p.mobile,
                p.name,
                digest,
                p.masked,
                initial_hash(p),
                not changed,
                None if changed else spec.decided_at + expiry,
                spec.lang,
                spec.decided_at,
            )
        )
    bulk_insert(
        db,
        Account,
        [
            Account.email,
            Account.mobile,
            Account.name,
            Account.id_digest,
            Account.id_masked,
            Account.password_hash,
            Account.must_change_password,
            Account.password_expires_at,
            Account.lang,
            Account.created_at,
        ],
        accounts,
    )
    account_ids = id_map(Account, Account.id_digest, first_approval)

    rows, audit = [], []
    for number, s in zip(numbers, specs, strict=True):
        approved = s.status == Status.APPROVED
        decided = s.status in (Status.APPROVED, Status.REJECTED)
        guardian = s.relationship not in ("father", "mother")
        contact = contact_digest(keyring, s.parent.mobile if s.by_mobile else s.parent.email)
        consent_at = s.submitted_at - timedelta(minutes=rng.randint(2, 9))
        account_id = account_ids.get(s.parent.digest) if approved else None
        rows.append(
            (
                number,
                s.status,
                contact,
                s.student_id,
                s.school_id,
                s.classroom_id,
                s.level,
                s.relationship,
                s.note,
                s.parent.digest,
                s.parent.masked,
                s.parent.name,
                s.parent.email,
                s.parent.mobile,
                initial_hash(s.parent),
                settings.privacy_statement_version,
                consent_at,
                s.submitted_at,
                _sha256(number, s, settings.privacy_statement_version, contact, consent_at),
                s.terminal,
                s.lang,
                s.roster_match,
                approved and guardian,
                s.decided_at - timedelta(hours=1) if approved and not s.roster_match else None,
                s.submitted_at,
                s.decided_at if decided else None,
                s.teacher_id if decided else None,
                s.reason if s.status == Status.REJECTED else None,
                None if decided else s.decided_at,
                account_id,
            )
        )
        terminal = s.terminal
        audit.append(
            (
                s.submitted_at,
                contact_actor(contact),
                "application.submitted",
                number,
                terminal,
                _detail(relationship=s.relationship, roster_match=s.roster_match),
            )
        )
        if decided:
            action = "application.approved" if approved else "application.rejected"
            created = approved and first_approval[s.parent.digest] is s
            detail = _detail(account_created=created) if approved else ""
            audit.append(
                (
                    s.decided_at,
                    teacher_actor(s.teacher_id),
                    action,
                    number,
                    "review-1",
                    detail,
                )
            )
        elif s.status in (Status.CANCELLED, Status.VOIDED):
            action = f"application.{s.status}"
            detail = _detail(was=Status.PENDING.value) if s.status == Status.VOIDED else ""
            audit.append((s.decided_at, contact_actor(contact), action, number, terminal, detail))
    bulk_insert(
        db,
        Application,
        [
            Application.number,
            Application.status,
            Application.contact_digest,
            Application.student,
            Application.school,
            Application.classroom,
            Application.level,
            Application.relationship,
            Application.relationship_note,
            Application.parent_id_digest,
            Application.parent_id_masked,
            Application.parent_name,
            Application.email,
            Application.mobile,
            Application.initial_password_hash,
            Application.consent_version,
            Application.consent_at,
            Application.signed_at,
            Application.content_sha256,
            Application.terminal_id,
            Application.lang,
            Application.roster_match,
            Application.documents_checked,
            Application.paper_received_at,
            Application.submitted_at,
            Application.decided_at,
            Application.decided_by,
            Application.reject_reason,
            Application.closed_at,
            Application.account,
        ],
        rows,
    )

    approved_numbers = [n for n, s in zip(numbers, specs, strict=True) if s.status == "approved"]
    app_ids = id_map(Application, Application.number, approved_numbers)
    bindings = [
        (account_ids[s.parent.digest], s.student_id, app_ids[n], s.decided_at)
        for n, s in zip(numbers, specs, strict=True)
        if s.status == Status.APPROVED
    ]
    bulk_insert(
        db,
        Binding,
        [Binding.account, Binding.student, Binding.application, Binding.created_at],
        bindings,
    )
    bulk_insert(
        db,
        AuditEvent,
        [
            AuditEvent.at,
            AuditEvent.actor,
            AuditEvent.action,
            AuditEvent.target,
            AuditEvent.terminal,
            AuditEvent.detail,
        ],
        sorted(audit, key=lambda e: e[0]),
    )
    return Written(len(rows), len(accounts), len(bindings), len(audit))
