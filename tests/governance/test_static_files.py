"""Static files in production: collectstatic with STATIC_MANIFEST=1 writes hashed names and
compressed copies, and pages link the hashed names (long caching, small transfers)."""

from __future__ import annotations

import json

from tests.clean_env import run_python
from tests.governance.test_deployment import readme_environment


def test_production_static_files_are_hashed_and_compressed(tmp_path):
    env = {**readme_environment(), "ALLOW_DEV_SECRET_KEY": "1", "STATIC_ROOT": str(tmp_path / "s")}
    env.pop("SECRET_KEY_FILE")
    assert env["STATIC_MANIFEST"] == "1"
    result = run_python(tmp_path, ["manage.py", "collectstatic", "--noinput", "-v", "0"], env)
    assert result.returncode == 0, result.stderr
    manifest = json.loads((tmp_path / "s" / "staticfiles.json").read_text())["paths"]
    for name in ("js/point_picker.js", "css/portal.css", "vendor/leaflet/leaflet.js"):
        hashed = manifest[name]
        assert hashed != name and hashed.rsplit(".", 2)[-2].isalnum()
        assert (tmp_path / "s" / f"{hashed}.gz").is_file()
    rendered = run_python(
        tmp_path,
        [
            "-c",
            "import django; django.setup();"
            "from django.templatetags.static import static; print(static('js/point_picker.js'))",
        ],
        env,
    )
    assert rendered.returncode == 0, rendered.stderr
    assert rendered.stdout.strip() == f"/static/{manifest['js/point_picker.js']}"
