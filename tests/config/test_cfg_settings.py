"""`load_settings`: TOML / JSON / YAML files, the environment, overrides, and refusals that name
the file or variable, the key, the value and the expected form."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from soulbeat.config import InvalidConfigError, Settings, load_settings, parse_env_bool
from soulbeat.config.loading import read_file


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # Keep the developer's ./soulbeat.toml out of the tests: run in an empty folder.
    monkeypatch.chdir(tmp_path)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults(tmp_path: Path) -> None:
    settings = load_settings(env={})
    assert settings.data_dir == Path("data")
    assert settings.workspace == Path("workspace")
    assert (settings.host, settings.port) == ("127.0.0.1", 8420)
    assert (settings.llm_provider, settings.llm_base_url, settings.llm_model) == (
        "ollama",
        "http://127.0.0.1:11434",
        "llama3.2:latest",
    )
    assert settings.heartbeat_enabled is True
    assert (settings.bootstrap_per_file_cap, settings.bootstrap_total_cap) == (20_000, 150_000)
    assert (settings.max_concurrent_beats, settings.llm_max_in_flight) == (None, None)  # derived
    assert settings.heartbeat_layers == ()
    assert list(settings.agents) == ["default"]
    assert settings.agents["default"].workspace == Path("workspace")
    assert settings.channels == {}


def test_openai_provider_has_its_own_default_base_url() -> None:
    settings = load_settings(env={"SOULBEAT_LLM_PROVIDER": "openai"})
    assert settings.llm_base_url == "http://127.0.0.1:8000/v1"
    explicit = load_settings(
        env={"SOULBEAT_LLM_PROVIDER": "openai", "SOULBEAT_LLM_BASE_URL": "http://gpu:9000/v1"}
    )
    assert explicit.llm_base_url == "http://gpu:9000/v1"


TOML = """
data_dir = "state"
port = 9000
user_timezone = "Europe/Berlin"

[heartbeat]
every = "1h"
dry_run = true
active_hours = { start = "08:00", end = "18:00", timezone = "Europe/Berlin" }

[heartbeat.actions]
allowed = ["message", "post"]
limits = { post = "1/2h" }

[agents.default]
soul_path = "souls/SOUL.md"

[agents.scout.heartbeat]
every = "15m"

[channels.ops]
url = "https://hooks.slack.com/services/T000/B000/XXX"
kind = "slack"
"""

JSON = json.dumps(
    {
        "data_dir": "state",
        "port": 9000,
        "user_timezone": "Europe/Berlin",
        "heartbeat": {
            "every": "1h",
            "dry_run": True,
            "active_hours": {"start": "08:00", "end": "18:00", "timezone": "Europe/Berlin"},
            "actions": {"allowed": ["message", "post"], "limits": {"post": "1/2h"}},
        },
        "agents": {
            "default": {"soul_path": "souls/SOUL.md"},
            "scout": {"heartbeat": {"every": "15m"}},
        },
        "channels": {
            "ops": {"url": "https://hooks.slack.com/services/T000/B000/XXX", "kind": "slack"}
        },
    }
)

YAML = """
data_dir: state
port: 9000
user_timezone: Europe/Berlin
heartbeat:
  every: 1h
  dry_run: true
  active_hours: {start: "08:00", end: "18:00", timezone: Europe/Berlin}
  actions:
    allowed: [message, post]
    limits: {post: 1/2h}
agents:
  default: {soul_path: souls/SOUL.md}
  scout:
    heartbeat: {every: 15m}
channels:
  ops: {url: "https://hooks.slack.com/services/T000/B000/XXX", kind: slack}
"""


@pytest.mark.parametrize(("name", "text"), [("a.toml", TOML), ("a.json", JSON), ("a.yaml", YAML)])
def test_toml_json_and_yaml_files_mean_the_same(tmp_path: Path, name: str, text: str) -> None:
    settings = load_settings(write(tmp_path / name, text), env={})
    assert settings.data_dir == tmp_path / "state"  # relative to the file's folder
    assert settings.port == 9000
    assert settings.user_timezone == "Europe/Berlin"
    heartbeat = settings.heartbeat
    assert (heartbeat.every, heartbeat.dry_run) == ("1h", True)
    assert heartbeat.active_hours is not None
    assert heartbeat.active_hours.timezone == "Europe/Berlin"
    assert heartbeat.actions.allowed == ("message", "post")
    assert [str(lim) for lim in heartbeat.actions.limits_for("post")] == ["1/2h"]
    assert settings.heartbeat_layers[0][0] == "file"
    # `workspace` is not in the file: its default is relative to the current directory.
    assert settings.agents["default"].workspace == Path("workspace")
    assert settings.agents["default"].soul_path == tmp_path / "souls" / "SOUL.md"
    assert settings.agents["scout"].workspace == Path("workspace") / "scout"
    assert settings.agents["scout"].heartbeat == {"every": "15m"}
    assert settings.channels["ops"].kind == "slack"


def test_seed_000_runtime_config_loads(tmp_path: Path) -> None:
    seed = {
        "heartbeat": {
            "every": "30m",
            "target": "none",
            "model": "llama3.2:latest",
            "dry_run": False,
        }
    }
    path = write(tmp_path / "crt_runtime_config.json", json.dumps(seed))
    heartbeat = load_settings(path, env={}).heartbeat
    assert (heartbeat.every, heartbeat.target, heartbeat.model, heartbeat.dry_run) == (
        "30m",
        "none",
        "llama3.2:latest",
        False,
    )


def test_seed_000_flat_example_loads_as_a_heartbeat_section(tmp_path: Path) -> None:
    path = write(
        tmp_path / "daily.json",
        json.dumps(
            {
                "heartbeat": {
                    "every_seconds": 86400,
                    "active_hours_start": 9,
                    "active_hours_end": 10,
                    "target": "none",
                }
            }
        ),
    )
    heartbeat = load_settings(path, env={}).heartbeat
    assert heartbeat.every == "1d"
    assert heartbeat.active_hours is not None
    assert (heartbeat.active_hours.start, heartbeat.active_hours.end) == ("09:00", "10:00")


def test_yaml_reads_times_and_off_as_text(tmp_path: Path) -> None:
    path = write(
        tmp_path / "s.yml",
        "heartbeat:\n  dedupe: off\n  active_hours: {start: 08:00, end: 17:00}\n",
    )
    heartbeat = load_settings(path, env={}).heartbeat
    assert heartbeat.dedupe == "off"
    assert heartbeat.active_hours is not None
    assert heartbeat.active_hours.end == "17:00"  # YAML 1.1 would have read 1020


def test_empty_yaml_file_is_all_defaults(tmp_path: Path) -> None:
    assert load_settings(write(tmp_path / "s.yaml", ""), env={}).port == 8420


def test_a_file_with_one_bad_value_is_refused_whole(tmp_path: Path) -> None:
    path = write(
        tmp_path / "soulbeat.toml",
        '[heartbeat]\nevery = "1h"\ntarget = "Foo Bar"\n[agents.default]\nuser_timezone = "UTC"\n',
    )
    with pytest.raises(InvalidConfigError) as caught:
        load_settings(path, env={})
    assert str(caught.value) == (
        f'{path}: heartbeat.target: "Foo Bar" is not a target '
        "(expected thread, last, none or a channel name)"
    )


def test_every_problem_of_a_file_is_listed(tmp_path: Path) -> None:
    path = write(
        tmp_path / "soulbeat.toml",
        'prot = 80\nport = 0\n[heartbeat]\nevery = "1h 30m"\n[channels.ops]\nurl = "ftp://x"\n',
    )
    with pytest.raises(InvalidConfigError) as caught:
        load_settings(path, env={})
    assert caught.value.source == str(path)
    assert [issue.key for issue in caught.value.issues] == [
        "prot",
        "heartbeat.every",
        "port",
        "channels.ops.url",
    ]
    assert caught.value.problems[0].endswith("; did you mean port?)")
    assert caught.value.problems[2] == (
        "port: 0 is too small (expected a positive whole number, such as 8420)"
    )
    assert caught.value.problems[3] == (
        'channels.ops.url: "ftp://x" is not a URL '
        "(expected an http or https URL such as https://hooks.example.com/T000/B000)"
    )


def test_unknown_timezone_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path / "s.toml", 'user_timezone = "Mars/Base"\n')
    with pytest.raises(InvalidConfigError) as caught:
        load_settings(path, env={})
    assert caught.value.issues[0].key == "user_timezone"
    assert '"Mars/Base" is not a known timezone' in caught.value.problems[0]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('agents = { "Bad Id" = {} }', 'agents.Bad Id: "Bad Id" is not an agent id'),
        ('[channels.none]\nurl = "https://x.example"', 'channels.none: "none" is a reserved'),
        ('[channels.ops]\nurl = "https://x.example"\nkind = "teams"', 'channels.ops.kind: "teams"'),
        ('[agents.scout]\nuser_timezone = "user"', 'agents.scout.user_timezone: "user"'),
        ("[agents.scout.heartbeat]\nevry = 1", "agents.scout.heartbeat.evry: is not a known key"),
        ('llm_provider = "anthropic"', 'llm_provider: "anthropic" is not a provider'),
        ("heartbeat_enabled = 1", "heartbeat_enabled: 1 is not a boolean"),
        ('heartbeat = "30m"', 'heartbeat: "30m" is not a table'),
        ('[agents.scout]\nheartbeat = "30m"', 'agents.scout.heartbeat: "30m" is not a table'),
        ('host = "local host"', 'host: "local host" is not a name'),
    ],
)
def test_bad_sections_are_refused(tmp_path: Path, text: str, problem: str) -> None:
    path = write(tmp_path / "s.toml", text + "\n")
    with pytest.raises(InvalidConfigError) as caught:
        load_settings(path, env={})
    assert caught.value.problems[0].startswith(problem)


def test_unreadable_and_unknown_files(tmp_path: Path) -> None:
    with pytest.raises(InvalidConfigError, match="does not exist"):
        load_settings(tmp_path / "missing.toml", env={})
    with pytest.raises(InvalidConfigError, match="is not a config file"):
        load_settings(write(tmp_path / "s.ini", "x=1"), env={})
    with pytest.raises(InvalidConfigError, match="cannot be read"):
        load_settings(write(tmp_path / "s.toml", "every = "), env={})
    with pytest.raises(InvalidConfigError, match="cannot be read"):
        load_settings(write(tmp_path / "s.json", "{"), env={})
    with pytest.raises(InvalidConfigError, match="is not a table"):
        read_file(write(tmp_path / "s.yaml", "- a\n- b\n"))


def test_file_lookup_order(tmp_path: Path) -> None:
    assert load_settings(env={}).port == 8420  # nothing in the cwd
    write(tmp_path / "soulbeat.toml", "port = 1111\n")
    assert load_settings(env={}).port == 1111
    named = write(tmp_path / "other.json", '{"port": 2222}')
    assert load_settings(env={"SOULBEAT_CONFIG": str(named)}).port == 2222
    explicit = write(tmp_path / "explicit.yaml", "port: 3333\n")
    assert load_settings(explicit, env={"SOULBEAT_CONFIG": str(named)}).port == 3333
    with pytest.raises(InvalidConfigError) as caught:
        load_settings(env={"SOULBEAT_CONFIG": str(tmp_path / "nope.toml")})
    assert caught.value.key == "SOULBEAT_CONFIG"


def test_environment_sets_settings_and_heartbeat_keys() -> None:
    settings = load_settings(
        env={
            "SOULBEAT_DATA_DIR": "/srv/soulbeat",
            "SOULBEAT_WORKSPACE": "/srv/ws",
            "SOULBEAT_API_TOKEN": "s3cret",
            "SOULBEAT_LLM_MODEL": "qwen2.5:0.5b",
            "SOULBEAT_LLM_API_KEY": "k",
            "SOULBEAT_HOST": "0.0.0.0",
            "SOULBEAT_PORT": "8500",
            "SOULBEAT_USER_TIMEZONE": "America/New_York",
            "SOULBEAT_HEARTBEAT_EVERY": "1h",
            "SOULBEAT_HEARTBEAT_DRY_RUN": "TRUE",
            "SOULBEAT_HEARTBEAT_ACTIVE_HOURS_START": "09:00",
            "SOULBEAT_HEARTBEAT_ACTIVE_HOURS_END": "17",
            "SOULBEAT_HEARTBEAT_MAX_TOKENS": "300",
            "SOULBEAT_HEARTBEAT_TEMPERATURE": "0.7",
            "SOULBEAT_HEARTBEAT_VISIBILITY_SHOW_OK": "on",
            "SOULBEAT_HEARTBEAT_ACTIONS_ALLOWED": "message, post",
            "SOULBEAT_API_UNRELATED": "ignored",
            "SOULBEAT_HEARTBEAT_TARGET": "",
        }
    )
    assert settings.data_dir == Path("/srv/soulbeat")
    assert settings.agents["default"].workspace == Path("/srv/ws")
    assert (settings.api_token, settings.llm_model, settings.llm_api_key) == (
        "s3cret",
        "qwen2.5:0.5b",
        "k",
    )
    assert (settings.host, settings.port, settings.user_timezone) == (
        "0.0.0.0",
        8500,
        "America/New_York",
    )
    heartbeat = settings.heartbeat
    assert (heartbeat.every, heartbeat.dry_run, heartbeat.max_tokens) == ("1h", True, 300)
    assert heartbeat.temperature == 0.7
    assert heartbeat.active_hours is not None
    assert (heartbeat.active_hours.start, heartbeat.active_hours.end) == ("09:00", "17:00")
    assert heartbeat.visibility.show_ok is True
    assert heartbeat.actions.allowed == ("message", "post")
    assert heartbeat.target == "thread"  # an empty variable counts as unset
    assert [name for name, _ in settings.heartbeat_layers] == ["env"]


@pytest.mark.parametrize(
    ("env", "enabled"),
    [
        ({}, True),
        ({"CRT_HEARTBEAT_ENABLED": "false"}, False),
        ({"CRT_HEARTBEAT_ENABLED": "Yes"}, True),
        ({"SOULBEAT_HEARTBEAT_ENABLED": "0"}, False),
        ({"SOULBEAT_HEARTBEAT_ENABLED": "off", "CRT_HEARTBEAT_ENABLED": "on"}, False),
        ({"SOULBEAT_HEARTBEAT_ENABLED": "ON", "CRT_HEARTBEAT_ENABLED": "no"}, True),
    ],
)
def test_global_heartbeat_switch_from_environment(env: dict[str, str], enabled: bool) -> None:
    assert load_settings(env=env).heartbeat_enabled is enabled


@pytest.mark.parametrize("text", ["maybe", "2", "enabled", "tru"])
def test_bad_booleans_name_the_variable(text: str) -> None:
    with pytest.raises(InvalidConfigError) as caught:
        load_settings(env={"CRT_HEARTBEAT_ENABLED": text})
    assert caught.value.problems == [
        f'CRT_HEARTBEAT_ENABLED: "{text}" is not a boolean '
        "(expected true, false, 1, 0, yes, no, on or off)"
    ]


@pytest.mark.parametrize(
    ("text", "value"),
    [("true", True), ("FALSE", False), ("1", True), ("no", False), (" On ", True)],
)
def test_parse_env_bool(text: str, value: bool) -> None:
    assert parse_env_bool("X", text) is value


def test_every_bad_variable_is_listed_by_name() -> None:
    with pytest.raises(InvalidConfigError) as caught:
        load_settings(
            env={
                "SOULBEAT_PORT": "http",
                "SOULBEAT_HEARTBEAT_DRY_RUN": "perhaps",
                "SOULBEAT_HEARTBEAT_EVERY": "1h 30m",
                "SOULBEAT_HEARTBEAT_ACTIVE_HOURS_START": "09:00",
                "SOULBEAT_HEARTBEAT_ACTIVE_HOURS_END": "25:00",
                "SOULBEAT_HEARTBEAT_EVRY": "1h",
            }
        )
    error = caught.value
    assert error.source == "environment"
    assert [issue.key for issue in error.issues] == [
        "SOULBEAT_PORT",
        "SOULBEAT_HEARTBEAT_DRY_RUN",
        "SOULBEAT_HEARTBEAT_EVRY",
        "SOULBEAT_HEARTBEAT_EVERY",
        "SOULBEAT_HEARTBEAT_ACTIVE_HOURS_END",
    ]
    assert 'SOULBEAT_HEARTBEAT_EVERY: "1h 30m" is not a duration' in str(error)


def test_half_a_window_from_the_environment_is_refused() -> None:
    with pytest.raises(InvalidConfigError) as caught:
        load_settings(env={"SOULBEAT_HEARTBEAT_ACTIVE_HOURS_START": "09:00"})
    assert caught.value.problems == [
        "SOULBEAT_HEARTBEAT_ACTIVE_HOURS_END: is missing "
        "(expected both active_hours_start and active_hours_end)"
    ]


def test_environment_beats_the_file_and_overrides_beat_the_environment(tmp_path: Path) -> None:
    path = write(
        tmp_path / "soulbeat.toml", 'port = 1000\nllm_model = "a"\n[heartbeat]\nevery = "1h"\n'
    )
    settings = load_settings(
        path,
        env={"SOULBEAT_PORT": "2000", "SOULBEAT_HEARTBEAT_EVERY": "2h"},
        overrides={"port": 3000, "heartbeat": {"every": "3h"}},
    )
    assert (settings.port, settings.llm_model, settings.heartbeat.every) == (3000, "a", "3h")
    assert [name for name, _ in settings.heartbeat_layers] == ["file", "env", "cli"]


def test_bad_overrides_are_refused_naming_overrides() -> None:
    with pytest.raises(InvalidConfigError) as caught:
        load_settings(env={}, overrides={"port": "eighty", "heartbeat": {"every": "x"}})
    assert caught.value.source == "overrides"
    assert [issue.key for issue in caught.value.issues] == ["heartbeat.every", "port"]


def test_model_whitespace_is_stripped_everywhere(tmp_path: Path) -> None:
    path = write(tmp_path / "s.json", '{"heartbeat": {"model": " llama3.2:1b "}}')
    assert load_settings(path, env={}).heartbeat.model == "llama3.2:1b"
    env = {"SOULBEAT_HEARTBEAT_MODEL": " llama3.2:1b "}
    assert load_settings(env=env).heartbeat.model == "llama3.2:1b"


def test_settings_are_frozen() -> None:
    settings = Settings()
    with pytest.raises(ValueError):
        settings.port = 1


def test_user_timezone_for_an_agent() -> None:
    settings = Settings(
        user_timezone="UTC", agents={"default": {}, "scout": {"user_timezone": "Asia/Tokyo"}}
    )
    assert settings.user_timezone_for("default") == "UTC"
    assert settings.user_timezone_for("scout") == "Asia/Tokyo"
    assert settings.agent("scout").workspace == Path("workspace") / "scout"
