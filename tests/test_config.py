"""One configuration from defaults, a TOML file, the environment and flags, in that order."""
from pathlib import Path

import pytest

from pipeline.config import ConfigError, build_config, unknown_env


def test_layers_override_in_order(tmp_path: Path):
    toml = tmp_path / "callqa.toml"
    toml.write_text('engine = "openai-whisper"\nbeam_size = 3\nlanguage = "ru"\n')
    cfg = build_config(toml, env={"CALLQA_BEAM_SIZE": "2", "CALLQA_OTHER_TOOL": "x"}, language=None, device="cpu")
    assert (cfg.engine, cfg.beam_size, cfg.language, cfg.device) == ("openai-whisper", 2, "ru", "cpu")
    assert cfg.model == "default" and cfg.stereo_roles == ("agent", "customer")


@pytest.mark.parametrize("text,message", [
    ('enigne = "x"', "unknown config key 'enigne'"),
    ('engine = "vosk"', "config key 'engine'"),
    ('beam_size = "wide"', "config key 'beam_size'"),
    ('left_channel = "customer"', "must name different roles"),
    ("engine = ", "config file"),
])
def test_invalid_config_names_the_key(tmp_path: Path, text, message):
    toml = tmp_path / "c.toml"
    toml.write_text(text + "\n")
    with pytest.raises(ConfigError, match=message):
        build_config(toml, env={})


@pytest.mark.parametrize("text,key", [
    ("beam_size = 2.7", "beam_size"),
    ("beam_size = true", "beam_size"),
    ("beam_size = 0", "beam_size"),
    ('language = "klingon"', "language"),
    ('compute_type = "int3"', "compute_type"),
    ("max_file_mb = -1", "max_file_mb"),
    ("max_duration_min = 0", "max_duration_min"),
    ("settle_seconds = -5", "settle_seconds"),
    ("retry_failed = 1", "retry_failed"),
    ("model = 5", "model"),
    ('timezone = "Mars/Olympus"', "timezone"),
    ('schedule_cron = "bogus"', "schedule_cron"),
    ('schedule_cron = "0 25 * * *"', "schedule_cron"),
    ('device = "gpu"', "device"),
])
def test_each_bad_value_is_refused_with_its_key_and_a_fix(tmp_path: Path, text, key):
    toml = tmp_path / "c.toml"
    toml.write_text(text + "\n")
    with pytest.raises(ConfigError) as caught:
        build_config(toml, env={})
    message = str(caught.value)
    assert message.startswith(f"config key {key!r}: ") and "; " in message and "\n" not in message


def test_text_from_the_environment_is_parsed_to_each_keys_type():
    cfg = build_config(env={"CALLQA_BEAM_SIZE": "5", "CALLQA_MAX_FILE_MB": "12.5", "CALLQA_RETRY_FAILED": "yes",
                            "CALLQA_SETTLE_SECONDS": "0", "CALLQA_LANGUAGE": "ru", "CALLQA_TIMEZONE": "Europe/Moscow",
                            "CALLQA_SCHEDULE_CRON": "30 1 * * MON-FRI", "CALLQA_COMPUTE_TYPE": "int8_float32"})
    assert (cfg.beam_size, cfg.max_file_mb, cfg.retry_failed, cfg.settle_seconds) == (5, 12.5, True, 0.0)
    assert (cfg.language, cfg.timezone, cfg.schedule_cron, cfg.compute_type) == \
        ("ru", "Europe/Moscow", "30 1 * * MON-FRI", "int8_float32")
    with pytest.raises(ConfigError, match="config key 'beam_size': '2.7' is not a whole number"):
        build_config(env={"CALLQA_BEAM_SIZE": "2.7"})


def test_language_codes_are_the_installed_whispers():
    from faster_whisper.tokenizer import _LANGUAGE_CODES

    for code in ("ru", "en", "yue", "haw"):
        assert code in _LANGUAGE_CODES and build_config(env={}, language=code).language == code
    with pytest.raises(ConfigError, match="did you mean 'ru'"):
        build_config(env={}, language="RU")


def test_unknown_environment_variables_are_named_with_the_likely_setting():
    env = {"CALLQA_BEAMSIZE": "3", "CALLQA_ZZZ": "1", "CALLQA_LANGUAGE": "en",
           "CALLQA_CONFIG": "c.toml", "CALLQA_CACHE_DIR": "/tmp", "CALLQA_HOME": "/srv", "PATH": "/bin"}
    assert unknown_env(env) == [
        "CALLQA_BEAMSIZE is not a callqa setting (did you mean CALLQA_BEAM_SIZE?); ignored",
        "CALLQA_ZZZ is not a callqa setting; ignored",
    ]
