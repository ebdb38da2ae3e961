"""Settings precedence: flags > MOCKPMS_* environment > TOML config > MOCKPMS_DEFAULT_* >
defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from mockpms.config import load_settings
from mockpms.errors import ConfigError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "mockpms.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_are_the_documented_sandbox_credentials() -> None:
    settings = load_settings({}, {})
    assert (settings.host, settings.port) == ("127.0.0.1", 8080)
    assert [m.api_key for m in settings.merchants] == ["mockpms-sandbox"]
    assert settings.timestamp_tolerance == 300 and settings.webhook_attempts == 5


def test_flags_beat_env_beat_file_beat_defaults(tmp_path: Path) -> None:
    config = write(tmp_path, "port = 9001\nwebhook_interval = 60\ntimestamp_tolerance = 10\n")
    env = {"MOCKPMS_PORT": "9002", "MOCKPMS_WEBHOOK_INTERVAL": "30"}
    settings = load_settings({"port": "9003", "config": str(config)}, env)
    assert settings.port == 9003
    assert settings.webhook_interval == 30
    assert settings.timestamp_tolerance == 10
    assert settings.webhook_attempts == 5


def test_default_env_ranks_below_the_config_file(tmp_path: Path) -> None:
    """The Docker image sets MOCKPMS_DEFAULT_HOST/PORT: a mounted file's port still wins."""
    image = {"MOCKPMS_DEFAULT_HOST": "0.0.0.0", "MOCKPMS_DEFAULT_PORT": "8080"}
    assert (load_settings({}, image).host, load_settings({}, image).port) == ("0.0.0.0", 8080)
    config = write(tmp_path, 'port = 9100\nhost = "127.0.0.2"\n')
    settings = load_settings({}, {**image, "MOCKPMS_CONFIG": str(config)})
    assert (settings.host, settings.port) == ("127.0.0.2", 9100)
    assert load_settings({}, {**image, "MOCKPMS_PORT": "9200"}).port == 9200


def test_config_file_from_the_environment(tmp_path: Path) -> None:
    config = write(tmp_path, 'public-url = "http://mockpms:8080/"\n')
    settings = load_settings({}, {"MOCKPMS_CONFIG": str(config)})
    assert settings.public_url == "http://mockpms:8080"


def test_several_merchants_from_toml(tmp_path: Path) -> None:
    config = write(
        tmp_path,
        """
[[merchants]]
apiKey = "shop-a"
secret = "secret-a"
merchantName = "Shop A"
storeCode = "ST01"
tillId = "01"
salesMan = "9999"

[[merchants]]
apiKey = "shop-b"
secret = "secret-b"
""",
    )
    settings = load_settings({"config": str(config)}, {})
    assert [m.api_key for m in settings.merchants] == ["shop-a", "shop-b"]
    shop_a, shop_b = settings.merchant("shop-a"), settings.merchant("shop-b")
    assert shop_a is not None
    assert shop_b is not None
    assert shop_a.merchant_name == "Shop A"
    assert shop_b.store_code == "ST01"


def test_api_key_flag_adds_a_merchant_before_the_file_ones(tmp_path: Path) -> None:
    config = write(tmp_path, '[[merchants]]\napiKey = "shop-a"\nsecret = "secret-a"\n')
    settings = load_settings(
        {"config": str(config)}, {"MOCKPMS_API_KEY": "k", "MOCKPMS_SECRET": "s"}
    )
    assert [(m.api_key, m.secret) for m in settings.merchants] == [
        ("k", "s"),
        ("shop-a", "secret-a"),
    ]


@pytest.mark.parametrize(
    "flags, env, fragment",
    [
        ({"port": "99999"}, {}, "--port='99999': must be a port number"),
        ({}, {"MOCKPMS_PORT": "http"}, "MOCKPMS_PORT='http': must be a whole number"),
        ({}, {"MOCKPMS_DEFAULT_PORT": "x"}, "MOCKPMS_DEFAULT_PORT='x': must be a whole number"),
        ({"public_url": "mockpms:8080"}, {}, "--public-url"),
        ({"api_key": "k"}, {}, "go together"),
        ({"webhook_attempts": "0"}, {}, "at least 1"),
        ({"auto_settle": "maybe"}, {}, "OUTCOME"),
        ({"config": "/nonexistent/mockpms.toml"}, {}, "cannot read it"),
    ],
)
def test_invalid_configuration_is_one_clear_error(
    flags: dict[str, str], env: dict[str, str], fragment: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(flags, env)
    assert fragment in str(caught.value) and "\n" not in str(caught.value)


def test_duplicate_api_key(tmp_path: Path) -> None:
    config = write(
        tmp_path,
        '[[merchants]]\napiKey = "a"\nsecret = "1"\n[[merchants]]\napiKey = "a"\nsecret = "2"\n',
    )
    with pytest.raises(ConfigError, match="configured twice"):
        load_settings({"config": str(config)}, {})


def test_bad_toml_and_unknown_keys(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings({"config": str(write(tmp_path, "port = = 1"))}, {})
    with pytest.raises(ConfigError, match="unknown key"):
        load_settings({"config": str(write(tmp_path, "prot = 1"))}, {})
