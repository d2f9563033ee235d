"""The Chinese catalogue is complete and its compiled form is the one in the repository.

A fresh machine may lack GNU gettext, so the compiled ``django.mo`` is committed; these tests make sure
it matches ``django.po`` and that no string is left untranslated.
"""

import gettext
import os
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.utils import translation

LOCALE = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES"


@pytest.fixture(scope="module")
def po():
    return polib.pofile(str(LOCALE / "django.po"))


def test_every_message_is_translated(po):
    missing = [e.msgid for e in po.untranslated_entries()]
    fuzzy = [e.msgid for e in po.fuzzy_entries()]
    assert not missing, f"{len(missing)} untranslated, e.g. {missing[:5]}"
    assert not fuzzy, f"{len(fuzzy)} fuzzy, e.g. {fuzzy[:5]}"


def test_the_compiled_catalogue_matches_the_source(po):
    with open(LOCALE / "django.mo", "rb") as fh:
        compiled = gettext.GNUTranslations(fh)
    stale = []
    for entry in po.translated_entries():
        if entry.msgid_plural:
            got = (
                compiled.npgettext(entry.msgctxt, entry.msgid, entry.msgid_plural, 1)
                if entry.msgctxt
                else compiled.ngettext(entry.msgid, entry.msgid_plural, 1)
            )
            expected = entry.msgstr_plural[0]
        else:
            got = (
                compiled.pgettext(entry.msgctxt, entry.msgid)
                if entry.msgctxt
                else compiled.gettext(entry.msgid)
            )
            expected = entry.msgstr
        if got != expected:
            stale.append(entry.msgid)
    assert not stale, f"django.mo is stale (run `make messages`): {stale[:5]}"


def test_the_portal_speaks_chinese_by_default():
    assert settings.LANGUAGE_CODE == "zh-hans"
    with translation.override("zh-hans"):
        assert translation.gettext("Log in") != "Log in"


@pytest.mark.skipif(not shutil.which("xgettext"), reason="GNU gettext (xgettext) is not installed")
def test_no_string_in_the_code_is_missing_from_the_catalogue(po, tmp_path):
    """Extract the messages afresh in a scratch copy of the sources and the catalogue (so the
    repository's catalogue is left alone): every msgid found must be translated."""
    base = Path(settings.BASE_DIR)
    project = tmp_path / "project"
    skip = shutil.ignore_patterns("__pycache__", "*.pyc", "migrations")
    for name in ("governance", "grids", "casework", "partybuilding", "templates", "locale"):
        shutil.copytree(base / name, project / name, ignore=skip)
    shutil.copy(base / "manage.py", project)
    env = {**os.environ, "VAR_DIR": str(tmp_path / "var")}
    env.pop("DATABASE_URL", None)
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "zh_Hans", "--no-obsolete"],
        cwd=project,
        env=env,
        check=True,
        capture_output=True,
    )
    fresh = polib.pofile(str(project / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"))
    missing = [e.msgid for e in fresh if not e.translated() or "fuzzy" in e.flags]
    assert not missing, (
        f"{len(missing)} strings need a translation (`make messages`): {missing[:8]}"
    )
