"""R26: every message exists in zh-TW and in English, with the same placeholders."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.i18n import (
    LANGUAGES,
    catalog,
    placeholders,
    plural_form,
    plural_forms_needed,
    plural_keys,
    t,
    tn,
)
from app.resources import data_file

ROOT = Path(__file__).resolve().parents[2]


def messages(lang: str) -> set[str]:
    """The messages of a language: a plural message once, by its key without the form."""
    plural = plural_keys(lang)
    forms = {f"{key}.{form}" for key in plural for form in ("zero", "one", "two", "few", "many",
                                                             "other")}  # fmt: skip
    return (set(catalog(lang)) - forms) | plural


def test_r26_both_catalogs_carry_the_same_keys():
    """A plural message counts as one key: English has `one` and `other`, Chinese `other`."""
    zh, en = messages("zh-TW"), messages("en")
    assert sorted(zh - en) == []
    assert sorted(en - zh) == []


def test_r26_plural_messages_have_every_form_their_language_needs():
    """Issue 18: each language has every CLDR category its rule can give (English: one and
    other; Chinese: other) and no form its rule never gives."""
    assert plural_keys("en"), "English has counted messages"
    for lang in LANGUAGES:
        needed = plural_forms_needed(lang)
        texts = catalog(lang)
        for key in plural_keys(lang):
            present = {name.rpartition(".")[2] for name in texts if name.startswith(f"{key}.")}
            assert present == needed, (lang, key, sorted(present))
    assert plural_forms_needed("en") == {"one", "other"}
    assert plural_forms_needed("zh-TW") == {"other"}


def test_r26_plural_forms_take_the_same_placeholders():
    """Every form fills from the parameters the `other` form names in both languages; the
    singular may leave the number out ("one more try")."""
    zh, en = catalog("zh-TW"), catalog("en")
    wrong = {}
    for key in plural_keys("zh-TW"):
        other = placeholders(zh[f"{key}.other"])
        if placeholders(en[f"{key}.other"]) != other:
            wrong[f"{key}.other"] = (other, placeholders(en[f"{key}.other"]))
        for form in plural_forms_needed("en") - {"other"}:
            if not placeholders(en[f"{key}.{form}"]) <= other:
                wrong[f"{key}.{form}"] = (other, placeholders(en[f"{key}.{form}"]))
    assert wrong == {}


def test_r26_both_catalogs_have_the_same_files():
    names = [sorted(p.name for p in data_file("i18n", lang).glob("*.toml")) for lang in LANGUAGES]
    assert names[0] == names[1]


def test_r26_placeholders_agree():
    zh, en = catalog("zh-TW"), catalog("en")
    wrong = {k: (placeholders(zh[k]), placeholders(en[k])) for k in zh
             if k in en and placeholders(zh[k]) != placeholders(en[k])}  # fmt: skip
    assert wrong == {}


def test_r26_zh_tw_texts_are_chinese_and_english_texts_are_not():
    zh, en = catalog("zh-TW"), catalog("en")
    cjk = re.compile(r"[\u4e00-\u9fff]")
    # The language button names the other language on purpose; punctuation has no words.
    other_language = {"label.switch_language"}
    wordless = {k for k in zh if k.startswith("format.")}
    not_chinese = [k for k, v in zh.items() if not cjk.search(v) and k not in other_language]
    assert sorted(not_chinese) == sorted(wordless)
    # English must carry English words (test_english_has_no_chinese keeps Chinese out of it).
    words = {k: re.sub(r"\{\w+\}", "", v) for k, v in en.items()}  # a {placeholder} is no word
    no_english = [k for k, v in words.items() if not re.search(r"[A-Za-z]", v)]
    assert sorted(no_english) == sorted({*other_language, *wordless} & set(en))


def test_r26_every_key_the_code_names_exists():
    """Keys written literally in the code ("errors.x.y") must be in the catalog."""
    known = set(catalog("zh-TW")) | plural_keys("zh-TW")
    pattern = re.compile(r"""["']((?:errors|mail|label|level|relationship|status|cli|roster)"""
                         r"""\.[a-z0-9_.]+)["']""")  # fmt: skip
    missing = set()
    for path in list((ROOT / "app").rglob("*.py")) + list((ROOT / "screens").rglob("*.py")):
        for key in pattern.findall(path.read_text(encoding="utf-8")):
            if key not in known and not key.endswith((".", "_")):
                missing.add(f"{path.relative_to(ROOT)}: {key}")
    assert sorted(missing) == []


def test_t_fills_placeholders_and_falls_back_to_the_key():
    assert "5" in t("errors.config.short_secret", "en", minimum=5)
    assert t("no.such.key", "en") == "no.such.key"


def test_tn_picks_the_plural_form_by_cldr_rule():
    """Issue 18: "1 try", "4 tries", never "time(s)"; Chinese has one form for every count."""
    assert plural_form(1, "en") == "one"
    assert plural_form(0, "en") == plural_form(4, "en") == "other"
    assert plural_form(1, "zh-TW") == "other"
    assert plural_form("many", "en") == "other"
    one, four = tn("errors.code.wrong", 1, "en", remaining=1), tn("errors.code.wrong", 4, "en",
                                                                   remaining=4)  # fmt: skip
    assert "1 try left" in one and "4 tries left" in four
    assert "(s)" not in one + four
    assert tn("errors.code.wrong", 1, "zh-TW", remaining=1) == t(
        "errors.code.wrong", "zh-TW", remaining=1, count=1
    )
    # Without a count a plural message still reads, in its `other` form.
    assert t("errors.code.wrong", "en", remaining=4).endswith(four[-20:])


def test_r26_a_compiled_catalog_gives_the_same_texts_and_yields_to_an_edited_source(
    tmp_path, monkeypatch
):
    """Issue 13 (start-up): the compiled catalog `make` writes holds exactly the TOML's texts
    and plural forms; once a catalog file is edited, its new text is shown, never the stale
    compiled one (as Python treats a .pyc)."""
    import shutil

    from app import i18n

    for lang in LANGUAGES:
        shutil.copytree(data_file("i18n", lang), tmp_path / lang)
    monkeypatch.setattr(i18n, "_sources", lambda lang: sorted((tmp_path / lang).glob("*.toml")))
    monkeypatch.setattr(i18n, "_compiled_path",
                        lambda lang: tmp_path / "__compiled__" / f"{lang}.json")  # fmt: skip
    i18n._load.cache_clear()
    try:
        from_toml = {lang: i18n._load(lang) for lang in LANGUAGES}
        written = i18n.compile_catalogs()
        assert sorted(p.name for p in written) == sorted(f"{lang}.json" for lang in LANGUAGES)
        i18n._load.cache_clear()
        with monkeypatch.context() as patch:
            patch.setattr(i18n, "_parse", lambda paths: pytest.fail("read the TOML again"))
            assert {lang: i18n._load(lang) for lang in LANGUAGES} == from_toml

        title = tmp_path / "en" / "ui.toml"
        title.write_text(title.read_text(encoding="utf-8").replace(
            t("label.app_title", "en"), "Edited title"), encoding="utf-8")  # fmt: skip
        i18n._load.cache_clear()
        assert t("label.app_title", "en") == "Edited title"
    finally:
        i18n._load.cache_clear()
